import { ConflictError, NotFoundError, ValidationError, type DomainError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { inPipelineOrder, nameKey, type Pipeline, type Stage } from './domain.ts';
import { NAMED_LIST_KINDS, NAMED_LIST_LABELS, type NamedEntry, type NamedListKind } from './reasons.ts';
import type { NamedListRepository, PipelineRepository, StageChange } from './ports.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import {
  choosing,
  indexKeys,
  indexPartition,
  indexPartitions,
  tableKey,
  tableKeys,
} from '#shared/platform/dynamodb/partitions.ts';
import { INDEX, indexAttributes, type IndexName } from '#shared/platform/dynamodb/table-spec.ts';
import type { Item, Key, Table, WriteOp } from '#shared/platform/dynamodb/table.ts';
import {
  getRecord,
  recordPage,
  staleOrGone,
  versionedRename,
  VersionedRepository,
  type VersionedKind,
} from '#shared/platform/dynamodb/versioned.ts';

// Pipelines, stages, reasons and sources on the single table. What must hold under
// concurrency is a condition in the same transaction as the change:
// - stage positions: every stage a change renumbers is conditioned on the version read, and
//   inserts and deletes always renumber the closed stages, so they serialize;
// - a stage or pipeline is deleted only while its stages hold no deal (`deal_count = 0`),
//   whatever deal write lands meanwhile;
// - names are unique (a pipeline's among pipelines, an entry's within its list) through
//   uniqueness items; the last pipeline stays (a counter conditioned on > 1).
// Stage and pipeline changes SET only their own fields: `deal_count` moves with the deals.
// A deleted stage or pipeline stays as a tombstone (deleted_at set, out of its list index, a
// pipeline's name free again): deals' stage history keeps naming it, and it still reads by id.

const STAGES_READ_LIMIT = 100;

/** The record only: items may carry other modules' attributes (the deal counters). */
function toStage(item: Item): Stage {
  return {
    id: String(item.id),
    pipeline_id: String(item.pipeline_id),
    ...(item.key === undefined ? {} : { key: String(item.key) }),
    ...(item.pipeline_key === undefined ? {} : { pipeline_key: String(item.pipeline_key) }),
    name: String(item.name),
    category: item.category as Stage['category'],
    position: Number(item.position),
    likelihood: Number(item.likelihood),
    deal_count: Number(item.deal_count ?? 0),
    created_at: String(item.created_at),
    updated_at: String(item.updated_at),
    version: Number(item.version),
    ...deletedAt(item),
  };
}

const deletedAt = (item: Item): { deleted_at?: string } =>
  item.deleted_at === undefined ? {} : { deleted_at: String(item.deleted_at) };

/** Pipelines and reason or source entries share one shape: a named, versioned record. */
function toNamed(item: Item): Pipeline & NamedEntry {
  return {
    id: String(item.id),
    name: String(item.name),
    created_at: String(item.created_at),
    updated_at: String(item.updated_at),
    version: Number(item.version),
  };
}

/** An entry, with deleted_at once it is a tombstone. */
const toEntry = (item: Item): NamedEntry => ({ ...toNamed(item), ...deletedAt(item) });
/** A pipeline: an entry with its immutable key (none before keys existed, until the bootstrap gives it one). */
const toPipeline = (item: Item): Pipeline => ({
  ...toEntry(item),
  ...(item.key === undefined ? {} : { key: String(item.key) }),
});

/** Stages: "stage#<id>" / "stage". Deal writes move their `deal_count` (see deals). */
export const stageKey = tableKeys<[id: string]>('stage', 'stage');
/** Reasons and sources: "<kind>#<id>" / "<kind>". */
export const namedEntryKey = choosing(NAMED_LIST_KINDS, (kind) => tableKeys<[id: string]>(kind, kind));

/** The family's other items: pipelines, name claims (one per name, ignoring case), the pipeline counter. */
export const pipelineKeys = {
  pipeline: tableKeys<[id: string]>('pipeline', 'pipeline'),
  /** Called with nameKey(name). */
  pipelineName: tableKeys<[name: string]>('pipeline_name', 'unique'),
  /** Called with nameKey(name). */
  entryName: choosing(NAMED_LIST_KINDS, (kind) => tableKeys<[name: string]>(`${kind}_name`, 'unique')),
  /** A pipeline's immutable key, unique for good (never deleted). */
  pipelineKey: tableKeys<[key: string]>('pipeline_key', 'unique'),
  /** How many pipelines exist: the last one is never deleted, and seeding reads it in one GetItem. */
  pipelineStats: tableKey('stats#pipelines', 'stats'),
};

/** Lists: all pipelines, a pipeline's stages (one partition, read whole), each list of reasons or sources. */
export const pipelineIndex = {
  pipelines: indexPartition(INDEX.all, 'pipeline'),
  stages: indexPartitions<[pipelineId: string]>(INDEX.relation, 'pipeline_stages'),
  entries: choosing(NAMED_LIST_KINDS, (kind) => indexPartition(INDEX.all, kind)),
};

const PIPELINE: VersionedKind<Pipeline> = { name: 'pipeline', key: pipelineKeys.pipeline, read: toPipeline };
const STAGE: VersionedKind<Stage> = { name: 'stage', key: stageKey, read: toStage };
const entryKind = (kind: NamedListKind): VersionedKind<NamedEntry> => ({
  name: NAMED_LIST_LABELS[kind],
  key: (id) => namedEntryKey(kind, id),
  read: toEntry,
});

const pipelineNameKey = (name: string) => pipelineKeys.pipelineName(nameKey(name));
const entryNameKey = (kind: NamedListKind, name: string) => pipelineKeys.entryName(kind, nameKey(name));

const pipelineItem = (pipeline: Pipeline) => ({
  ...pipelineKeys.pipeline(pipeline.id),
  ...indexKeys(pipeline.id, pipelineIndex.pipelines()),
  kind: 'pipeline',
  ...pipeline,
});
const stageItem = (stage: Stage) => ({
  ...stageKey(stage.id),
  ...indexKeys(stage.id, pipelineIndex.stages(stage.pipeline_id)),
  kind: 'stage',
  ...stage,
});

/** A failed condition on a record that must still be live: a tombstone is not found. */
const liveOrGone =
  <T>(kind: VersionedKind<T>, id: string) =>
  (current: Item | undefined): DomainError =>
    current && current.deleted_at === undefined ? staleOrGone(kind, id)(current) : new NotFoundError(kind.name, id);

/**
 * Turns a stage or pipeline into its tombstone while it is at the version read (and, for a
 * stage, holds no deal): deleted_at set, a new version, out of the index that lists it.
 */
function tombstone(
  key: Key,
  record: { version: number },
  listedIn: IndexName,
  now: string,
  options: { emptyStage: boolean; onConflict: (current: Item | undefined) => DomainError },
): WriteOp {
  const listed = indexAttributes(listedIn);
  return {
    type: 'update',
    key,
    update: `SET deleted_at = :now, updated_at = :now, version = :next REMOVE ${listed.partitionKey}, ${listed.sortKey}`,
    condition: `version = :expected AND attribute_not_exists(deleted_at)${options.emptyStage ? ' AND deal_count = :zero' : ''}`,
    values: {
      ':now': now,
      ':next': record.version + 1,
      ':expected': record.version,
      ...(options.emptyStage ? { ':zero': 0 } : {}),
    },
    onConflict: options.onConflict,
  };
}

/** A rename while the record is at the version read and not a tombstone (else not found). */
function liveRename<T>(
  kind: VersionedKind<T>,
  before: { id: string; version: number },
  after: { name: string; updated_at: string; version: number },
): WriteOp {
  const op = versionedRename(kind, before, after, liveOrGone(kind, before.id));
  return op.type === 'update' ? { ...op, condition: `${op.condition} AND attribute_not_exists(deleted_at)` } : op;
}

/** When a delete happens: its first event's time (the tombstones and the events agree). */
const deletedAtOf = (events: readonly DomainEvent[]) => events[0]?.metadata.occurred_at ?? new Date().toISOString();

const stagesChanged = () =>
  new ConflictError("The pipeline's stages changed meanwhile; reload them and try again", { code: 'concurrent_change' });

/** Stages by id (`get`) and by pipeline, and the pipelines themselves. */
export class DynamoPipelineRepository extends VersionedRepository<Stage> implements PipelineRepository {
  protected readonly kind = STAGE;

  /** One Query: a pipeline has at most MAX_ACTIVE_STAGES + 3 stages. */
  async ofPipeline(pipelineId: string): Promise<Stage[]> {
    const page = await this.table.page({
      partitions: [pipelineIndex.stages(pipelineId)],
      limit: STAGES_READ_LIMIT,
      order: 'asc',
    });
    return inPipelineOrder(page.items.map(toStage));
  }

  getPipeline(id: string): Promise<Pipeline | undefined> {
    return getRecord(this.table, PIPELINE, id);
  }

  listPipelines(query: PageQuery): Promise<Page<Pipeline>> {
    return recordPage(this.table, pipelineIndex.pipelines(), query, toPipeline);
  }

  async pipelineCount(): Promise<number> {
    const item = await this.table.get(pipelineKeys.pipelineStats());
    return Number(item?.pipelines ?? 0);
  }

  async createPipeline(pipeline: Pipeline, stages: Stage[], events: DomainEvent[]): Promise<void> {
    await this.table.write(
      [
        { type: 'create', item: pipelineItem(pipeline) },
        pipelineNameItem(pipeline),
        ...(pipeline.key ? [pipelineKeyItem(pipeline.key, pipeline.id)] : []),
        ...stages.map((stage): WriteOp => ({ type: 'create', item: stageItem(stage) })),
        { type: 'update', key: pipelineKeys.pipelineStats(), update: 'ADD pipelines :one', values: { ':one': 1 } },
      ],
      events,
    );
  }

  async assignKeys(pipeline: Pipeline, key: string | undefined, stages: readonly { stage: Stage; key: string }[]): Promise<void> {
    const pipelineKey = key ?? pipeline.key!;
    // Only while still without a key, and still there (an update would create a gone item).
    const unkeyed = 'attribute_exists(pk) AND attribute_not_exists(#key)';
    const changed = () => new ConflictError('The pipeline changed meanwhile; run again', { code: 'concurrent_change' });
    await this.table.write([
      ...(key
        ? [
            pipelineKeyItem(key, pipeline.id),
            {
              type: 'update' as const,
              key: pipelineKeys.pipeline(pipeline.id),
              update: 'SET #key = :key',
              condition: unkeyed,
              names: { '#key': 'key' },
              values: { ':key': key },
              onConflict: changed,
            },
          ]
        : []),
      ...stages.map(({ stage, key: stageKey_ }): WriteOp => ({
        type: 'update',
        key: stageKey(stage.id),
        update: 'SET #key = :key, pipeline_key = :pipeline',
        condition: unkeyed,
        names: { '#key': 'key' },
        values: { ':key': stageKey_, ':pipeline': pipelineKey },
        onConflict: changed,
      })),
    ]);
  }

  async renamePipeline(before: Pipeline, after: Pipeline, events: DomainEvent[]): Promise<void> {
    const ops: WriteOp[] = [liveRename(PIPELINE, before, after)];
    if (nameKey(before.name) !== nameKey(after.name)) {
      ops.push({ type: 'delete', key: pipelineNameKey(before.name) }, pipelineNameItem(after));
    }
    await this.table.write(ops, events);
  }

  /** Tombstones the pipeline and its stages; frees the pipeline's name. */
  async deletePipeline(pipeline: Pipeline, stages: Stage[], events: DomainEvent[]): Promise<void> {
    const now = deletedAtOf(events);
    await this.table.write(
      [
        tombstone(pipelineKeys.pipeline(pipeline.id), pipeline, INDEX.all, now, {
          emptyStage: false,
          onConflict: liveOrGone(PIPELINE, pipeline.id),
        }),
        { type: 'delete', key: pipelineNameKey(pipeline.name) },
        ...stages.map((stage): WriteOp =>
          tombstone(stageKey(stage.id), stage, INDEX.relation, now, {
            emptyStage: true,
            onConflict: (current) =>
              current && Number(current.deal_count) > 0
                ? new ConflictError(
                    `Pipeline "${pipeline.name}" received deals meanwhile (stage "${stage.name}" holds ${Number(current.deal_count)}); move them first`,
                    { code: 'pipeline.has_deals' },
                  )
                : stagesChanged(),
          }),
        ),
        {
          type: 'update',
          key: pipelineKeys.pipelineStats(),
          update: 'ADD pipelines :minus',
          condition: 'pipelines > :one',
          values: { ':minus': -1, ':one': 1 },
          onConflict: () =>
            new ConflictError(`Pipeline "${pipeline.name}" is the only pipeline; create another one before deleting it`, {
              code: 'pipeline.last_pipeline',
            }),
        },
      ],
      events,
    );
  }

  async createStage(stage: Stage, moved: StageChange[], events: DomainEvent[]): Promise<void> {
    await this.table.write(
      [
        {
          type: 'check',
          key: pipelineKeys.pipeline(stage.pipeline_id),
          condition: 'attribute_exists(pk) AND attribute_not_exists(deleted_at)',
          onConflict: () =>
            ValidationError.field('body.pipeline_id', `no pipeline ${stage.pipeline_id}`, { fieldCode: 'unknown_reference' }),
        },
        { type: 'create', item: stageItem(stage) },
        ...moved.map((change) => stageUpdate(change, stagesChanged)),
      ],
      events,
    );
  }

  async updateStage(change: StageChange, moved: StageChange[], events: DomainEvent[]): Promise<void> {
    await this.table.write(
      [stageUpdate(change, liveOrGone(STAGE, change.before.id)), ...moved.map((c) => stageUpdate(c, stagesChanged))],
      events,
    );
  }

  /** Tombstones the stage (out of its pipeline's list) and renumbers the others. */
  async deleteStage(stage: Stage, moved: StageChange[], events: DomainEvent[]): Promise<void> {
    await this.table.write(
      [
        tombstone(stageKey(stage.id), stage, INDEX.relation, deletedAtOf(events), {
          emptyStage: true,
          onConflict: (current) => {
            const deals = Number(current?.deal_count ?? 0);
            if (deals > 0) {
              return new ConflictError(
                `Stage "${stage.name}" received ${deals} deal(s) meanwhile; pass move_deals_to=<stage id> to move them and try again`,
                { code: 'stage.has_deals' },
              );
            }
            return liveOrGone(STAGE, stage.id)(current);
          },
        }),
        ...moved.map((c) => stageUpdate(c, stagesChanged)),
      ],
      events,
    );
  }
}

function pipelineNameItem(pipeline: Pipeline): WriteOp {
  return {
    type: 'create',
    item: { ...pipelineNameKey(pipeline.name), kind: 'unique', pipeline_id: pipeline.id },
    onConflict: () => new ConflictError(`A pipeline named "${pipeline.name}" already exists`, { code: 'pipeline.name_taken' }),
  };
}

/** A pipeline's key, claimed for good (kept when the pipeline goes: automations may still name it). */
function pipelineKeyItem(key: string, pipelineId: string): WriteOp {
  return {
    type: 'create',
    item: { ...pipelineKeys.pipelineKey(key), kind: 'unique', pipeline_id: pipelineId },
    onConflict: () => new ConflictError(`The pipeline key "${key}" is taken`, { code: 'pipeline.key_taken' }),
  };
}

/** Name, likelihood and position only, while the stage is at the version read. */
function stageUpdate(change: StageChange, onConflict: (current: Item | undefined) => DomainError): WriteOp {
  const { before, after } = change;
  return {
    type: 'update',
    key: stageKey(before.id),
    update: 'SET #name = :name, likelihood = :likelihood, #position = :position, updated_at = :now, version = :next',
    condition: 'version = :expected AND attribute_not_exists(deleted_at)',
    names: { '#name': 'name', '#position': 'position' },
    values: {
      ':name': after.name,
      ':likelihood': after.likelihood,
      ':position': after.position,
      ':now': after.updated_at,
      ':next': after.version,
      ':expected': before.version,
    },
    onConflict,
  };
}

export class DynamoNamedListRepository implements NamedListRepository {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  get(kind: NamedListKind, id: string): Promise<NamedEntry | undefined> {
    return getRecord(this.#table, entryKind(kind), id);
  }

  list(kind: NamedListKind, query: PageQuery): Promise<Page<NamedEntry>> {
    return recordPage(this.#table, pipelineIndex.entries(kind), query, toEntry);
  }

  async create(kind: NamedListKind, entries: NamedEntry[], events: DomainEvent[]): Promise<void> {
    await this.#table.write(
      entries.flatMap((entry): WriteOp[] => [
        {
          type: 'create',
          item: { ...namedEntryKey(kind, entry.id), ...indexKeys(entry.id, pipelineIndex.entries(kind)), kind, ...entry },
        },
        nameItem(kind, entry),
      ]),
      events,
    );
  }

  async update(kind: NamedListKind, before: NamedEntry, after: NamedEntry, events: DomainEvent[]): Promise<void> {
    const entries = entryKind(kind);
    const ops: WriteOp[] = [liveRename(entries, before, after)];
    if (nameKey(before.name) !== nameKey(after.name)) {
      ops.push({ type: 'delete', key: entryNameKey(kind, before.name) }, nameItem(kind, after));
    }
    await this.#table.write(ops, events);
  }

  /**
   * Keeps the entry as a tombstone (README "What deleting a record does to what points at
   * it"): deleted_at set, out of its list's index, its name free again; deals, contacts and
   * leads that name it keep the id, which still reads. NotFoundError if already deleted.
   */
  async delete(kind: NamedListKind, entry: NamedEntry, events: DomainEvent[]): Promise<void> {
    const entries = entryKind(kind);
    const now = deletedAtOf(events);
    const listed = indexAttributes(INDEX.all);
    await this.#table.write(
      [
        {
          type: 'update',
          key: namedEntryKey(kind, entry.id),
          update: `SET deleted_at = :now, updated_at = :now, version = :next REMOVE ${listed.partitionKey}, ${listed.sortKey}`,
          condition: 'version = :expected AND attribute_not_exists(deleted_at)',
          values: { ':now': now, ':next': entry.version + 1, ':expected': entry.version },
          onConflict: liveOrGone(entries, entry.id),
        },
        { type: 'delete', key: entryNameKey(kind, entry.name) },
      ],
      events,
    );
  }
}

function nameItem(kind: NamedListKind, entry: NamedEntry): WriteOp {
  return {
    type: 'create',
    item: { ...entryNameKey(kind, entry.name), kind: 'unique', entry_id: entry.id },
    onConflict: () =>
      new ConflictError(`A ${NAMED_LIST_LABELS[kind]} named "${entry.name}" already exists`, { code: 'named_list.name_taken' }),
  };
}

/** A source or reason exists in its list. */
export function namedEntryCheck(kind: NamedListKind, id: string, field: string): WriteOp {
  return {
    type: 'check',
    key: namedEntryKey(kind, id),
    // A deleted entry (a tombstone) cannot be chosen again; records that named it keep it.
    condition: 'attribute_exists(pk) AND attribute_not_exists(deleted_at)',
    onConflict: () => ValidationError.field(field, `no ${NAMED_LIST_LABELS[kind]} ${id}`, { fieldCode: 'unknown_reference' }),
  };
}
