import { QueryCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '#infra/config/load.ts';
import { startLocalCloud } from '#infra/local/cloud.ts';
import { localClient } from '#infra/local/dynamodb-local.ts';
import { seedLocalData, type DevUser } from '#infra/local/seed.ts';
import { lagMain, lagRow, lagTable, measureInChild } from './lag.ts';
import { atMost, formatMs, percentile, type Verdict } from './stats.ts';

// The lag from a write to its activity-feed entry on the local cloud: a rep creates a deal
// over HTTP; the clock runs from the 201 (the write, and its outbox item, are committed) until
// the entry is readable in the deal's timeline, polled on DynamoDB Local every POLL_MS. The
// path: the local stream poller (STREAM_POLL_MS between polls) → outbox publisher →
// local bus → activity-feed consumer (its own worker) → DynamoDB.
//   node bench/feed-lag.ts [--samples N]   runs this part alone
// `npm run bench` runs it in a child process: the local cloud seeds through the process's
// table client, which the other stages have already pointed at their own DynamoDB Local.

/** Target: p90 lag of a write to its feed entry (ms). */
export const FEED_LAG_P90_LIMIT_MS = 100;
/** The local stream poller's wait between polls of the table stream (infra/local/stream-poller.ts). */
export const STREAM_POLL_MS = 50;
const POLL_MS = 2;
const GIVE_UP_MS = 10_000;

export interface FeedLagResult {
  samples: number;
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
  lagsMs: number[];
  streamPollMs: number;
  verdict: Verdict;
}

export async function measureFeedLag(samples = 50): Promise<FeedLagResult> {
  const config = loadConfig();
  let users: DevUser[] = [];
  const cloud = await startLocalCloud({
    config,
    port: 0,
    sesPort: 0,
    functionSettings: { logLevel: 'ERROR', validateResponses: false },
    onFreshTable: async (c) => {
      users = (await seedLocalData(c, config)).users;
    },
  });
  const db = DynamoDBDocumentClient.from(localClient(cloud.dynamoEndpoint));
  try {
    const rep = users.find((u) => u.email.startsWith('rep1@'));
    if (!rep) throw new Error('no seeded rep1');
    const createDeal = async (n: number): Promise<string> => {
      const res = await fetch(`${cloud.url}/deals`, {
        method: 'POST',
        headers: { authorization: `Bearer ${rep.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Lag deal ${n}` }),
      });
      if (res.status !== 201) throw new Error(`POST /deals answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    };
    const entryOf = async (dealId: string): Promise<boolean> => {
      const out = await db.send(
        new QueryCommand({
          TableName: cloud.names.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :at)',
          ExpressionAttributeValues: { ':pk': `activity#deal#${dealId}`, ':at': 'at#' },
          Limit: 1,
        }),
      );
      return (out.Items ?? []).length > 0;
    };
    // Warm-up: every worker's first call pays its module init.
    for (let i = 0; i < 3; i++) {
      const id = await createDeal(-i);
      const deadline = Date.now() + GIVE_UP_MS * 3;
      while (!(await entryOf(id)) && Date.now() < deadline) await sleep(POLL_MS);
    }
    const lags: number[] = [];
    for (let i = 0; i < samples; i++) {
      const id = await createDeal(i);
      const written = performance.now();
      for (;;) {
        if (await entryOf(id)) break;
        if (performance.now() - written > GIVE_UP_MS) throw new Error(`deal ${id}: no feed entry after ${GIVE_UP_MS} ms`);
        await sleep(POLL_MS);
      }
      lags.push(performance.now() - written);
      // Spread the writes over the poller's cycle instead of in step with it.
      await sleep(Math.random() * STREAM_POLL_MS);
    }
    const p90Ms = percentile(lags, 90);
    return {
      samples,
      p50Ms: percentile(lags, 50),
      p90Ms,
      maxMs: Math.max(...lags),
      lagsMs: lags.map((l) => Math.round(l * 10) / 10),
      streamPollMs: STREAM_POLL_MS,
      verdict: atMost(p90Ms, FEED_LAG_P90_LIMIT_MS),
    };
  } finally {
    db.destroy();
    await cloud.stop();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function feedLagTable(lag: FeedLagResult): string {
  return lagTable(
    `Write to activity-feed entry on the local cloud: POST /deals answered → entry readable (${lag.samples} writes; the local stream poller waits ${lag.streamPollMs} ms between polls)`,
    [lagRow('write → feed entry', lag.lagsMs, `p90 ≤ ${formatMs(FEED_LAG_P90_LIMIT_MS, 0)}`, lag.verdict)],
  );
}

/** measureFeedLag in a fresh process (see bench/lag.ts). */
export function measureFeedLagInChild(samples: number): Promise<FeedLagResult> {
  return measureInChild(import.meta.url, samples);
}

if (import.meta.main) await lagMain(50, measureFeedLag, feedLagTable);
