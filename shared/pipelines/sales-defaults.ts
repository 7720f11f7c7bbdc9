import { ConflictError } from '#shared/kernel/errors.ts';
import type { StagePlan } from './domain.ts';
import { DEFAULT_NAMED_LISTS, NAMED_LIST_KINDS, type NamedListKind } from './reasons.ts';
import { createPipelineWithStages, type PipelinesDeps } from './use-cases.ts';
import { addEntries, type NamedListsDeps } from './reason-use-cases.ts';
import type { Call } from '#shared/kernel/ports.ts';

// What a fresh deployment needs before the first deal (F5.1, F4.2): the default pipeline from
// the config, and starter lists of reasons and sources. Run on every deploy and on a fresh
// local table: it fills only what is empty, each list in one write, so a run cut short or
// repeated leaves no half-seeded list. A second run racing the first meets the unique names
// and reports "already_present".

export type SalesDefaultsDeps = PipelinesDeps & NamedListsDeps;

export interface SalesDefaultsConfig {
  /** `key`: the pipeline's (default: from its name); stages may carry theirs. */
  default_pipeline: { name: string; key?: string | undefined; stages: readonly StagePlan[] };
}

export type SeedOutcome = 'created' | 'already_present';

/** Per item, what the run did; strings only, so it fits a CloudFormation custom resource's Data. */
export type SalesDefaultsReport = { pipeline: SeedOutcome } & Record<`${NamedListKind}s`, SeedOutcome>;

export async function seedSalesDefaults(
  deps: SalesDefaultsDeps,
  call: Call,
  config: SalesDefaultsConfig,
): Promise<SalesDefaultsReport> {
  const pipeline = await seedPipeline(deps, call, config.default_pipeline);
  const report = { pipeline } as SalesDefaultsReport;
  for (const kind of NAMED_LIST_KINDS) report[`${kind}s`] = await seedList(deps, call, kind);
  return report;
}

async function seedPipeline(
  deps: PipelinesDeps,
  call: Call,
  config: SalesDefaultsConfig['default_pipeline'],
): Promise<SeedOutcome> {
  if ((await deps.pipelines.pipelineCount()) > 0) return 'already_present';
  return onceOnly(() => createPipelineWithStages(deps, call, config.name, config.stages, 'default_pipeline.stages', config.key));
}

async function seedList(deps: NamedListsDeps, call: Call, kind: NamedListKind): Promise<SeedOutcome> {
  const existing = await deps.namedLists.list(kind, { limit: 1 });
  if (existing.items.length > 0) return 'already_present';
  return onceOnly(() => addEntries(deps, call, kind, DEFAULT_NAMED_LISTS[kind]));
}

async function onceOnly(create: () => Promise<unknown>): Promise<SeedOutcome> {
  try {
    await create();
    return 'created';
  } catch (error) {
    if (error instanceof ConflictError) return 'already_present';
    throw error;
  }
}
