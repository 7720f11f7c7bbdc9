import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Deal } from '#shared/deals/domain.ts';
import { dealCreateOps } from '#shared/deals/dynamodb.ts';
import { dealReferences } from '#shared/deals/use-cases.ts';
import type { User } from '#shared/identity/domain.ts';
import { customFieldAdapters } from '#shared/custom-fields/runtime.ts';
import { identityAdapters } from '#shared/identity/runtime.ts';
import { newId } from '#shared/kernel/ids.ts';
import { bucketDeltas, contributionOf, dealFact, type BucketDelta } from '#shared/outcomes/domain.ts';
import { OUTCOME_BUCKET_KIND, outcomeBuckets } from '#shared/outcomes/dynamodb.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import type { Item, WriteOp } from '#shared/platform/dynamodb/table.ts';
import { BENCH_TABLE } from './env.ts';
import { findRoute, httpEvent, invokeOk, loadHandler } from './events.ts';
import { callerOf, DEALS_PER_OWNER, type Fixture } from './local.ts';
import { RequestMeter } from './meter.ts';
import type { Verdict } from './stats.ts';

// GET /dashboard at 10² and 10⁴ deals: the requests and capacity units must not grow with the
// deals, since every panel reads counters or one page.

export const DASHBOARD_SCALES = [100, 10_000] as const;

export interface DashboardScaleRow {
  readonly deals: number;
  readonly role: string;
  readonly principal: readonly string[];
  readonly operations: readonly string[];
  /** Capacity units of the route's own requests. */
  readonly capacity: number;
}

export interface DashboardScaleResult {
  readonly rows: readonly DashboardScaleRow[];
  /** PASS when each role's requests and capacity are the same at every scale. */
  readonly verdict: Verdict;
}

/**
 * Grows the bench table's deals to each scale (the fixture holds 3 × DEALS_PER_OWNER) and
 * counts GET /dashboard's requests for a rep, a manager and an admin at each. Run last on the
 * bench database: it adds deals.
 */
export async function measureDashboardScale(fixture: Fixture): Promise<DashboardScaleResult> {
  const route = findRoute('GET /dashboard');
  const handler = await loadHandler(route);
  const meter = new RequestMeter({ idempotencyPk: 'idempotency' });
  const detach = meter.attach(dynamoDocumentClient());
  const principals = identityAdapters().principals;
  const resolve = principals.resolve;
  principals.resolve = (claimed) => meter.inPhase('principal', () => resolve(claimed));
  // The bench process loaded the custom field catalog (seeding deals), which a dashboard
  // function never does: its version check is per-request overhead here, as in requests.ts.
  const catalog = customFieldAdapters().catalog;
  const refresh = catalog.refresh;
  catalog.refresh = () => meter.inPhase('principal', () => refresh.call(catalog));
  const rows: DashboardScaleRow[] = [];
  let deals = 3 * DEALS_PER_OWNER;
  try {
    for (const scale of DASHBOARD_SCALES) {
      await meter.inPhase('principal', () => addDeals(fixture, scale - deals, scale === DASHBOARD_SCALES[0]));
      deals = scale;
      for (const [role, user] of [
        ['rep', fixture.users.rep1],
        ['manager', fixture.users.manager],
        ['admin', fixture.users.admin],
      ] as const) {
        await invokeOk(handler, httpEvent(route, callerOf(user)), 'crm-bench-dashboard');
        meter.take();
        await invokeOk(handler, httpEvent(route, callerOf(user)), 'crm-bench-dashboard');
        const records = meter.take();
        const own = records.filter((r) => r.phase === 'route');
        rows.push({
          deals: scale,
          role,
          principal: records.filter((r) => r.phase === 'principal').map((r) => r.operation),
          operations: own.map((r) => r.operation),
          capacity: own.reduce((sum, r) => sum + (r.capacity ?? 0), 0),
        });
      }
    }
  } finally {
    principals.resolve = resolve;
    catalog.refresh = refresh;
    detach();
  }
  const same = ['rep', 'manager', 'admin'].every((role) => {
    const mine = rows.filter((r) => r.role === role);
    return mine.every((r) => r.operations.join() === mine[0]!.operations.join() && r.capacity === mine[0]!.capacity);
  });
  return { rows, verdict: same ? 'PASS' : 'FAIL' };
}

/**
 * Adds `n` deals with what their creation writes (deal, stay, board counters, search terms)
 * batched and their counters summed, and their outcome buckets as the consumer leaves them.
 * The cells a dashboard reads are the same at every scale, so that only the number of deals
 * changes: the first deals fill every (owner, stage) of the board and, for each owner, a won,
 * a lost and an unqualified deal closed today (the 30-day window's one day with outcomes);
 * later deals add to those cells or close 40 days ago and more (outside the window).
 */
async function addDeals(fixture: Fixture, n: number, fill: boolean): Promise<void> {
  if (n <= 0) return;
  const client = dynamoDocumentClient();
  const template = fixture.deals.rep1[0]!;
  const owners: User[] = [fixture.users.rep1, fixture.users.rep2, fixture.users.solo];
  const closed = fixture.stages.filter((s) => s.category !== 'active');
  const items: Item[] = [];
  const counters = new Map<string, { op: Extract<WriteOp, { type: 'update' }>; sums: Record<string, number> }>();
  const outcomes = new Map<string, { scope: string; period: string; add: Record<string, number> }>();
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const owner = owners[i % owners.length]!;
    const filling = fill && i < owners.length * closed.length;
    const stage = filling ? closed[Math.floor(i / owners.length)]! : fixture.stages[i % fixture.stages.length]!;
    const daysAgo = filling || i % 2 === 0 ? 0 : 40 + (i % 300);
    const at = new Date(now - daysAgo * 86_400_000).toISOString();
    const deal: Deal = {
      ...template,
      id: newId(),
      name: `Bulk deal ${i}`,
      value: `${100 + (i % 900)}.00`,
      owner_id: owner.id,
      creator_id: owner.id,
      stage_id: stage.id,
      pipeline_id: stage.pipeline_id,
      contact_id: null,
      organization_id: null,
      last_stage_change_at: at,
      added_at: at,
      created_at: at,
      updated_at: at,
      version: 1,
    };
    for (const op of dealCreateOps(deal, dealReferences(deal), newId())) {
      if (op.type === 'create' || op.type === 'put') items.push(op.item);
      else if (op.type === 'update') {
        const numeric = Object.entries(op.values ?? {}).filter(([, v]) => typeof v === 'number');
        const shape = JSON.stringify([
          op.key,
          op.update,
          op.names,
          Object.entries(op.values ?? {}).filter(([, v]) => typeof v !== 'number'),
        ]);
        const entry = counters.get(shape) ?? { op, sums: {} };
        for (const [name, v] of numeric) entry.sums[name] = (entry.sums[name] ?? 0) + (v as number);
        counters.set(shape, entry);
      }
    }
    const fact = dealFact(deal, stage.category, 'Etc/UTC');
    const team = (o: string) => (o === fixture.users.solo.id ? fixture.teams.west.id : fixture.teams.east.id);
    for (const delta of bucketDeltas(null, fact && contributionOf(fact, team(fact.owner_id)))) {
      const key = `${delta.scope}|${delta.period}`;
      const merged = outcomes.get(key) ?? { scope: delta.scope, period: delta.period, add: {} };
      for (const [name, d] of Object.entries(delta.add)) merged.add[name] = (merged.add[name] ?? 0) + d;
      outcomes.set(key, merged);
    }
  }
  const batches: Item[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  await inParallel(batches, 8, async (batch) => {
    let request: Record<string, unknown>[] | undefined = batch.map((Item) => ({ PutRequest: { Item } }));
    while (request && request.length > 0) {
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [BENCH_TABLE]: request as never } }));
      request = out.UnprocessedItems?.[BENCH_TABLE] as Record<string, unknown>[] | undefined;
    }
  });
  await inParallel([...counters.values()], 8, async ({ op, sums }) => {
    await client.send(
      new UpdateCommand({
        TableName: BENCH_TABLE,
        Key: op.key,
        UpdateExpression: op.update,
        ...(op.condition ? { ConditionExpression: op.condition } : {}),
        ...(op.names ? { ExpressionAttributeNames: op.names } : {}),
        ExpressionAttributeValues: { ...op.values, ...sums },
      }),
    );
  });
  // The buckets' sums, as the consumer would leave them (heads are not read by the dashboard).
  await inParallel([...outcomes.values()], 8, (delta: BucketDelta) => {
    const names: Record<string, string> = { '#kind': 'kind', '#scope': 'scope', '#period': 'period' };
    const values: Record<string, unknown> = { ':kind': OUTCOME_BUCKET_KIND, ':scope': delta.scope, ':period': delta.period };
    const adds = Object.entries(delta.add).map(([name, d], i) => {
      names[`#a${i}`] = name;
      values[`:a${i}`] = d;
      return `#a${i} :a${i}`;
    });
    return client.send(
      new UpdateCommand({
        TableName: BENCH_TABLE,
        Key: { pk: outcomeBuckets(delta.scope), sk: delta.period },
        UpdateExpression: `SET #kind = :kind, #scope = :scope, #period = :period ADD ${adds.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  });
}

async function inParallel<T>(items: readonly T[], width: number, run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await run(items[next++] as T);
    }),
  );
}
