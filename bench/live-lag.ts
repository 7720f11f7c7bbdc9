import type { LiveMessage } from '#shared/live/domain.ts';
import { loadConfig } from '#infra/config/load.ts';
import { startLocalCloud } from '#infra/local/cloud.ts';
import { seedLocalData, type DevUser } from '#infra/local/seed.ts';
import { WebSocket } from 'ws';
import { lagMain, lagRow, lagTable, measureInChild } from './lag.ts';
import { atMost, formatMs, percentile, type Verdict } from './stats.ts';

// The lag from a write to its live push on the local cloud: rep1 holds a WebSocket open (a
// ticket from POST /notifications/live_ticket); a manager gives rep1 a lead (PATCH
// /leads/{id} owner_id). The clock runs from the PATCH's 200 (the assignment and its outbox
// item are committed) until rep1's socket receives the notification. The path: the local
// stream poller → outbox publisher → local bus → notification-delivery (inbox transaction,
// then PostToConnection through the management API's IAM gate) → the WebSocket frame.
//   node bench/live-lag.ts [--samples N]   runs this part alone
// `npm run bench` runs it in a child process, on a local cloud of its own.

/** Target: p90 lag of a write to its WebSocket push (ms; issue 12). */
export const LIVE_LAG_P90_LIMIT_MS = 250;
const GIVE_UP_MS = 10_000;

export interface LiveLagResult {
  samples: number;
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
  lagsMs: number[];
  /** Write → the assignment's event delivered by the local bus (the part before the consumer). */
  toBusMs: number[];
  verdict: Verdict;
}

export async function measureLiveLag(samples = 30): Promise<LiveLagResult> {
  const config = loadConfig();
  let users: DevUser[] = [];
  const onBus = new Map<string, number>();
  const cloud = await startLocalCloud({
    extraRules: [
      {
        name: 'bench-owner-changes',
        pattern: { source: ['crm'], 'detail-type': ['lead.owner_changed'] },
        target: async (e) =>
          void onBus.set((e.detail as { metadata: { resource_id: string } }).metadata.resource_id, performance.now()),
      },
    ],
    config,
    port: 0,
    sesPort: 0,
    webSocketPort: 0,
    functionSettings: { logLevel: 'ERROR', validateResponses: false },
    onFreshTable: async (c) => {
      users = (await seedLocalData(c, config)).users;
    },
  });
  let socket: WebSocket | undefined;
  try {
    const who = (prefix: string) => {
      const user = users.find((u) => u.email.startsWith(`${prefix}@`));
      if (!user) throw new Error(`no seeded ${prefix}`);
      return user;
    };
    const [rep, manager] = [who('rep1'), who('manager')];
    const api = async (method: string, path: string, token: string, body?: unknown): Promise<Record<string, unknown>> => {
      const res = await fetch(`${cloud.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    const { ticket } = (await api('POST', '/notifications/live_ticket', rep.token)) as { ticket: string };
    socket = new WebSocket(`${cloud.webSocketUrl}?ticket=${ticket}`);
    const arrivals: { at: number; message: LiveMessage }[] = [];
    let wake: (() => void) | undefined;
    socket.on('message', (data) => {
      arrivals.push({ at: performance.now(), message: JSON.parse(String(data)) as LiveMessage });
      wake?.();
    });
    await new Promise<void>((resolve, reject) => {
      socket!.once('open', () => resolve());
      socket!.once('error', reject);
    });
    const toBus: number[] = [];
    /** The assignment's write time and when its push arrived (the next notification frame). */
    const assign = async (n: number): Promise<number> => {
      const lead = await api('POST', '/leads', manager.token, { last_name: `Live lag ${n}` });
      const seen = arrivals.length;
      await api('PATCH', `/leads/${String(lead.id)}`, manager.token, { owner_id: rep.user_id });
      const written = performance.now();
      const deadline = Date.now() + GIVE_UP_MS;
      for (;;) {
        const pushed = arrivals.slice(seen).find((a) => a.message.type === 'notification');
        if (pushed) {
          toBus.push((onBus.get(String(lead.id)) ?? Number.NaN) - written);
          return pushed.at - written;
        }
        if (Date.now() > deadline) throw new Error(`lead ${String(lead.id)}: no push after ${GIVE_UP_MS} ms`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    };
    // Warm-up: every worker's first call pays its module init.
    for (let i = 0; i < 3; i++) await assign(-i);
    toBus.length = 0;
    const lags: number[] = [];
    for (let i = 0; i < samples; i++) {
      lags.push(await assign(i));
      // Spread the writes over the stream poller's cycle instead of in step with it.
      await new Promise((r) => setTimeout(r, Math.random() * 50));
    }
    const p90Ms = percentile(lags, 90);
    return {
      samples,
      p50Ms: percentile(lags, 50),
      p90Ms,
      maxMs: Math.max(...lags),
      lagsMs: lags.map((l) => Math.round(l * 10) / 10),
      toBusMs: toBus.map((l) => Math.round(l * 10) / 10),
      verdict: atMost(p90Ms, LIVE_LAG_P90_LIMIT_MS),
    };
  } finally {
    socket?.close();
    await cloud.stop();
  }
}

export function liveLagTable(lag: LiveLagResult): string {
  return lagTable(
    `Write to live push on the local cloud: PATCH /leads/{id} (owner rep1) answered → rep1's WebSocket receives the notification (${lag.samples} assignments)`,
    [
      lagRow('write → owner change on the bus', lag.toBusMs),
      lagRow('write → WebSocket push', lag.lagsMs, `p90 ≤ ${formatMs(LIVE_LAG_P90_LIMIT_MS, 0)}`, lag.verdict),
    ],
  );
}

/** measureLiveLag in a fresh process (see bench/lag.ts). */
export function measureLiveLagInChild(samples: number): Promise<LiveLagResult> {
  return measureInChild(import.meta.url, samples);
}

if (import.meta.main) await lagMain(30, measureLiveLag, liveLagTable);
