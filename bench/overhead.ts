import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { userKey } from '#shared/platform/dynamodb/keys.ts';
import { BENCH_TABLE } from './env.ts';
import { findRoute, httpEvent, lambdaContext, loadHandler } from './events.ts';
import { callerOf, type Fixture } from './local.ts';
import { atMost, median, percentile, type Verdict } from './stats.ts';

// Stage 3: what the handler stack (middy, Powertools, routing, zod parsing, principal
// resolution, the use case, JSON) adds to the DynamoDB requests it makes. GET /users/{id} by
// an admin sends two GetItems one after the other, the caller's user record and the user
// asked for; the raw side sends the same two with the same client and parameters.
// Iterations alternate which side goes first, after a warm-up of both.
//
// Measured twice: against DynamoDB Local (the figure judged), and with the client answering
// from memory (SDK middleware returning the stored items). The second has none of the local
// database's noise but runs in a hot loop with warm CPU caches, so it is a lower bound: with
// real I/O between the steps (Java has the cores meanwhile) the same code costs several times
// more, and that is what the first figure shows.

export const OVERHEAD_LIMIT_MS = 1.0;
const ROUTE = 'GET /users/{id}';
const IN_MEMORY_MIDDLEWARE = 'crmBenchInMemoryDynamo';

export interface OverheadResult {
  readonly route: string;
  readonly mode: 'dynamodb-local' | 'in-memory';
  readonly iterations: number;
  readonly handlerMedianMs: number;
  readonly rawMedianMs: number;
  readonly handlerP90Ms: number;
  readonly rawP90Ms: number;
  /** median(handler) − median(raw): the figure judged. */
  readonly overheadMs: number;
  /** The median of the per-iteration differences, a cross-check less sensitive to drift. */
  readonly pairedOverheadMs: number;
  readonly verdict: Verdict;
}

export async function measureOverhead(
  fixture: Fixture,
  options: { iterations: number; warmup: number },
): Promise<OverheadResult[]> {
  const route = findRoute(ROUTE);
  const handler = await loadHandler(route);
  const caller = fixture.users.admin;
  const target = fixture.users.rep1;
  const event = httpEvent(route, callerOf(caller), { params: { id: target.id } });
  const context = lambdaContext(`crm-bench-${route.family}`);
  const client = dynamoDocumentClient();
  // As Table.get sends them (shared/platform/dynamodb/table.ts).
  const getItem = (id: string) =>
    client.send(
      new GetCommand({ TableName: BENCH_TABLE, Key: userKey(id), ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }),
    );

  const viaHandler = async () => {
    const started = performance.now();
    const result = await handler(event, context);
    const elapsed = performance.now() - started;
    if (result.statusCode !== 200) throw new Error(`${ROUTE} answered ${result.statusCode}: ${result.body ?? ''}`);
    return elapsed;
  };
  const stored = new Map<string, GetItemAnswer>();
  const raw = async () => {
    const started = performance.now();
    const principal = await getItem(caller.id);
    const user = await getItem(target.id);
    const elapsed = performance.now() - started;
    if (!principal.Item || !user.Item) throw new Error('the raw GetItems found no user');
    stored.set(String(principal.Item.pk), { Item: principal.Item, ConsumedCapacity: principal.ConsumedCapacity });
    stored.set(String(user.Item.pk), { Item: user.Item, ConsumedCapacity: user.ConsumedCapacity });
    return elapsed;
  };

  const local = await compare('dynamodb-local', viaHandler, raw, options);
  client.middlewareStack.add(
    () => async (args) => {
      const key = (args.input as { Key?: { pk?: unknown } }).Key;
      const answer = stored.get(String(key?.pk));
      if (!answer) throw new Error(`the in-memory DynamoDB holds no ${String(key?.pk)}`);
      return { output: { $metadata: {}, ...answer } as never, response: {} };
    },
    { step: 'initialize', name: IN_MEMORY_MIDDLEWARE },
  );
  try {
    const inMemory = await compare('in-memory', viaHandler, raw, {
      iterations: options.iterations * 3,
      warmup: options.warmup * 3,
    });
    return [local, inMemory];
  } finally {
    client.middlewareStack.remove(IN_MEMORY_MIDDLEWARE);
  }
}

interface GetItemAnswer {
  Item: Record<string, unknown>;
  ConsumedCapacity: unknown;
}

async function compare(
  mode: OverheadResult['mode'],
  viaHandler: () => Promise<number>,
  raw: () => Promise<number>,
  options: { iterations: number; warmup: number },
): Promise<OverheadResult> {
  const handlerMs: number[] = [];
  const rawMs: number[] = [];
  for (let i = -options.warmup; i < options.iterations; i++) {
    const handlerFirst = i % 2 === 0;
    const first = handlerFirst ? await viaHandler() : await raw();
    const second = handlerFirst ? await raw() : await viaHandler();
    if (i < 0) continue;
    handlerMs.push(handlerFirst ? first : second);
    rawMs.push(handlerFirst ? second : first);
  }
  const overheadMs = median(handlerMs) - median(rawMs);
  return {
    route: ROUTE,
    mode,
    iterations: options.iterations,
    handlerMedianMs: median(handlerMs),
    rawMedianMs: median(rawMs),
    handlerP90Ms: percentile(handlerMs, 90),
    rawP90Ms: percentile(rawMs, 90),
    overheadMs,
    pairedOverheadMs: median(handlerMs.map((h, i) => h - (rawMs[i] as number))),
    verdict: atMost(overheadMs, OVERHEAD_LIMIT_MS),
  };
}
