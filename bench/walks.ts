import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { PAGE_BUDGET } from '#shared/platform/dynamodb/table.ts';
import { callContext } from '#shared/kernel/ports.ts';
import { createDeal } from '#shared/deals/use-cases.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { createPipeline } from '#shared/pipelines/use-cases.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import { runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';
import type { User } from '#shared/identity/domain.ts';
import { findRoute, httpEvent, invokeOk, loadHandler } from './events.ts';
import { callerOf, type Fixture } from './local.ts';
import { RequestMeter, type MeteredRequest } from './meter.ts';

// Stage 5: what walking a filtered list costs. k deals of one rep in a pipeline, among n deals
// in the caller's scope, listed oldest first with pipeline_id (a filter no index serves), `limit`
// a page, following next_cursor to the end: the calls, the empty pages with a cursor among
// them, the Queries and the items DynamoDB read. "newest": the matches come last (the worst
// case); "then 1,500 others": non-matching deals follow them, which the last page reads to find
// the end. Runs after the request cases: it adds deals to the fixture's table.

export interface WalkResult {
  readonly label: string;
  readonly role: string;
  /** Matches (deals of the filtered pipeline) in the caller's scope. */
  readonly k: number;
  /** Deals in the caller's scope. */
  readonly n: number;
  readonly limit: number;
  readonly calls: number;
  readonly emptyPages: number;
  readonly queries: number;
  readonly batchGets: number;
  /** Items DynamoDB evaluated (ScannedCount summed). */
  readonly itemsRead: number;
  /** The most Queries one call made, and the bound (PAGE_BUDGET.rounds per partition). */
  readonly maxQueriesPerCall: number;
  readonly queryBound: number;
}

const SYSTEM = { user_id: 'system', email: '', role: 'admin' as const, direct_reports: [] };

export async function measureWalks(fixture: Fixture): Promise<WalkResult[]> {
  const meter = new RequestMeter({ idempotencyPk: 'idempotency' });
  const detach = meter.attach(dynamoDocumentClient());
  const route = findRoute('GET /deals');
  const handler = await loadHandler(route);
  const call = callContext(SYSTEM, 'bench-walks', runtimeClock, runtimeIds);
  const { admin, manager, rep1 } = fixture.users;
  const roles: [string, User, number][] = [
    ['rep', rep1, 1],
    ['manager', manager, 3],
    ['admin', admin, 1],
  ];

  const page = async (as: User, query: Record<string, string>) => {
    const result = await invokeOk(handler, httpEvent(route, callerOf(as), { query }), 'crm-bench-deals');
    return JSON.parse(result.body ?? '{}') as { items: unknown[]; next_cursor: string | null };
  };
  const count = async (as: User) => {
    let n = 0;
    let cursor: string | undefined;
    do {
      const result = await page(as, { limit: '100', ...(cursor ? { cursor } : {}) });
      n += result.items.length;
      cursor = result.next_cursor ?? undefined;
    } while (cursor);
    return n;
  };
  const newPipelineWith = async (k: number, owner: User) => {
    const pipeline = await createPipeline(pipelineAdapters(), call, { name: `Walk ${runtimeIds()}` });
    for (let i = 0; i < k; i++) {
      await createDeal(dealAdapters(), call, { name: `Walk match ${i}`, owner_id: owner.id, pipeline_id: pipeline.id });
    }
    return pipeline.id;
  };
  const background = async (n: number) => {
    const owners = [fixture.users.rep1, fixture.users.rep2, fixture.users.solo];
    for (let i = 0; i < n; i++) {
      await createDeal(dealAdapters(), call, { name: `Walk background ${i}`, owner_id: owners[i % owners.length]!.id });
    }
  };

  const results: WalkResult[] = [];
  const walk = async (label: string, pipelineId: string, kByRole: (role: string) => number, limit: number) => {
    for (const [role, as, partitions] of roles) {
      const n = await count(as);
      let calls = 0;
      let emptyPages = 0;
      let maxQueries = 0;
      const records: MeteredRequest[] = [];
      let cursor: string | undefined;
      meter.take();
      do {
        const result = await page(as, {
          pipeline_id: pipelineId,
          sort_order: 'asc',
          limit: String(limit),
          ...(cursor ? { cursor } : {}),
        });
        const mine = meter.take().filter((r) => r.phase === 'route');
        records.push(...mine);
        maxQueries = Math.max(maxQueries, mine.filter((r) => r.operation === 'Query').length);
        calls++;
        if (result.items.length === 0 && result.next_cursor) emptyPages++;
        cursor = result.next_cursor ?? undefined;
      } while (cursor);
      results.push({
        label,
        role,
        k: kByRole(role),
        n,
        limit,
        calls,
        emptyPages,
        queries: records.filter((r) => r.operation === 'Query').length,
        batchGets: records.filter((r) => r.operation === 'BatchGetItem').length,
        itemsRead: records.reduce((sum, r) => sum + (r.scanned ?? 0), 0),
        maxQueriesPerCall: maxQueries,
        queryBound: PAGE_BUDGET.rounds * partitions,
      });
    }
  };

  try {
    // The instance: a new pipeline with 3 deals of one rep, pages of 2.
    const three = await newPipelineWith(3, rep1);
    await walk('3 newest', three, () => 3, 2);
    const forty = await newPipelineWith(40, rep1);
    await walk('40 newest', forty, () => 40, 25);
    await background(1500);
    // The same pipelines, now followed by 1,500 newer deals that do not match: the walk's
    // last page reads them to find the end.
    await walk('3, then 1,500 others', three, () => 3, 2);
    await walk('40, then 1,500 others', forty, () => 40, 25);
    // New pipelines after the 1,500: the matches come last.
    await walk('3 newest of 1,500 more', await newPipelineWith(3, rep1), () => 3, 2);
    await walk('40 newest of 1,500 more', await newPipelineWith(40, rep1), () => 40, 25);
  } finally {
    detach();
  }
  return results;
}

/** Every walk ended with no empty page before its end and within the per-call Query bound. */
export function walksVerdict(results: readonly WalkResult[]): 'PASS' | 'FAIL' {
  return results.every((r) => r.maxQueriesPerCall <= r.queryBound) ? 'PASS' : 'FAIL';
}
