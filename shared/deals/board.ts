import { NotFoundError } from '#shared/kernel/errors.ts';
import { fromMinor } from '#shared/kernel/money.ts';
import type { Call } from '#shared/kernel/ports.ts';
import { ownersToQuery, scopeOf } from '#shared/kernel/visibility.ts';
import type { DealBoard } from './domain.ts';
import type { DealsDeps } from './use-cases.ts';

// The board (F1.2, F4.3): a read model of per-(stage, owner, currency) counters that deal
// writes keep in their own transactions, read with one Query and narrowed to the caller's
// scope here. The dashboard family will grow from it.

/** The board's column headers (F1.2, F4.3): count and value per stage in the caller's scope. */
export async function dealSummary(
  deps: DealsDeps,
  call: Call,
  request: { pipeline_id: string; owner_id?: string | undefined; team_id?: string | undefined },
): Promise<DealBoard> {
  const stages = await deps.stages.ofPipeline(request.pipeline_id);
  if (stages.length === 0) throw new NotFoundError('pipeline', request.pipeline_id);
  const scope = scopeOf(call.principal);
  let owners = ownersToQuery(scope, request.owner_id);
  if (request.team_id) {
    const members = new Set(await deps.teamMemberIds(request.team_id));
    owners = (owners === 'all' ? [...members] : owners.filter((o) => members.has(o))) as string[];
  }
  const allowed = owners === 'all' ? null : new Set(owners);
  const stats = (await deps.deals.stageStats(request.pipeline_id)).filter((s) => !allowed || allowed.has(s.owner_id));
  return {
    pipeline_id: request.pipeline_id,
    stages: stages.map((stage) => {
      const mine = stats.filter((s) => s.stage_id === stage.id);
      const byCurrency = new Map<string, number>();
      for (const s of mine) byCurrency.set(s.currency, (byCurrency.get(s.currency) ?? 0) + s.value_minor);
      return {
        stage_id: stage.id,
        name: stage.name,
        category: stage.category,
        position: stage.position,
        count: mine.reduce((n, s) => n + s.count, 0),
        values: [...byCurrency].filter(([, v]) => v !== 0).map(([currency, minor]) => ({ currency, value: fromMinor(minor) })),
      };
    }),
  };
}
