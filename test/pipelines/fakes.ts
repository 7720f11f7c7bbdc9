import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { inPipelineOrder, nameKey, type Pipeline, type Stage, type StageCategory } from '#shared/pipelines/domain.ts';
import { NAMED_LIST_LABELS, type NamedEntry, type NamedListKind } from '#shared/pipelines/reasons.ts';
import type { DealMover, NamedListRepository, PipelineRepository, StageChange } from '#shared/pipelines/ports.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';
import { testId } from '#test/helpers/fakes.ts';
import { copy, InMemoryStore, paginate } from '#test/helpers/in-memory-store.ts';

// In-memory fakes of the pipelines module's ports, on the shared store. Each write checks
// everything the DynamoDB adapter checks inside its transaction
// (shared/pipelines/dynamodb.ts), inside store.transact, so a refused write leaves the store
// as it was.

/** When a delete happens: its first event's time, as the adapter stamps its tombstones. */
const deletedAt = (events: readonly DomainEvent[]) => events[0]?.metadata.occurred_at ?? new Date().toISOString();

const stagesChanged = () => new ConflictError("The pipeline's stages changed meanwhile; reload them and try again");

/** The shared store, under the name the pipelines tests know it by. */
export { InMemoryStore as PipelineStore };

export class InMemoryPipelineRepository implements PipelineRepository {
  readonly store: InMemoryStore;
  readonly events: DomainEvent[] = [];
  /** Runs inside each write before its checks: lets a test interleave a concurrent change. */
  beforeWrite: (() => void) | undefined;
  constructor(store = new InMemoryStore()) {
    this.store = store;
  }

  async get(id: string): Promise<Stage | undefined> {
    return this.store.stage(id);
  }

  /** Live stages only: a tombstone is out of its pipeline's list index. */
  async ofPipeline(pipelineId: string): Promise<Stage[]> {
    return inPipelineOrder(
      [...this.store.stages.values()].filter((s) => s.pipeline_id === pipelineId && s.deleted_at === undefined),
    ).map(copy);
  }

  async getPipeline(id: string): Promise<Pipeline | undefined> {
    return this.store.pipeline(id);
  }

  async listPipelines(query: PageQuery): Promise<Page<Pipeline>> {
    return paginate(this.#livePipelines(), query);
  }

  async pipelineCount(): Promise<number> {
    return this.#livePipelines().length;
  }

  async assignKeys(pipeline: Pipeline, key: string | undefined, stages: readonly { stage: Stage; key: string }[]): Promise<void> {
    this.#write([], () => {
      const stored = this.store.pipelines.get(pipeline.id);
      if (stored && key) this.store.pipelines.set(pipeline.id, { ...stored, key });
      for (const { stage, key: stageKey } of stages) {
        const current = this.store.stages.get(stage.id);
        if (current) this.store.stages.set(stage.id, { ...current, key: stageKey, pipeline_key: key ?? pipeline.key! });
      }
    });
  }

  async createPipeline(pipeline: Pipeline, stages: Stage[], events: DomainEvent[]): Promise<void> {
    this.#write(events, () => {
      if (this.store.pipelines.has(pipeline.id)) throw new ConflictError(`pipeline ${pipeline.id} already exists`);
      this.#requireFreeName(pipeline.name);
      for (const stage of stages) if (this.store.stages.has(stage.id)) throw new ConflictError(`stage ${stage.id} exists`);
      this.store.pipelines.set(pipeline.id, copy(pipeline));
      for (const stage of stages) this.store.stages.set(stage.id, copy(stage));
    });
  }

  async renamePipeline(before: Pipeline, after: Pipeline, events: DomainEvent[]): Promise<void> {
    this.#write(events, () => {
      const current = this.store.pipelines.get(before.id);
      if (!current || current.deleted_at !== undefined) throw new NotFoundError('pipeline', before.id);
      if (current.version !== before.version) throw new VersionMismatchError('pipeline', before.id, copy(current));
      if (nameKey(before.name) !== nameKey(after.name)) this.#requireFreeName(after.name);
      Object.assign(current, { name: after.name, updated_at: after.updated_at, version: after.version });
    });
  }

  async deletePipeline(pipeline: Pipeline, stages: Stage[], events: DomainEvent[]): Promise<void> {
    this.#write(events, () => {
      const current = this.store.pipelines.get(pipeline.id);
      if (!current || current.deleted_at !== undefined) throw new NotFoundError('pipeline', pipeline.id);
      if (current.version !== pipeline.version) throw new VersionMismatchError('pipeline', pipeline.id, copy(current));
      for (const stage of stages) {
        const stored = this.store.stages.get(stage.id);
        if (stored && stored.deal_count > 0) {
          throw new ConflictError(
            `Pipeline "${pipeline.name}" received deals meanwhile (stage "${stage.name}" holds ${stored.deal_count}); move them first`,
          );
        }
        if (!stored || stored.deleted_at !== undefined || stored.version !== stage.version) throw stagesChanged();
      }
      if (this.#livePipelines().length <= 1) {
        throw new ConflictError(`Pipeline "${pipeline.name}" is the only pipeline; create another one before deleting it`);
      }
      // Tombstones, as the table keeps them.
      const at = deletedAt(events);
      this.store.pipelines.set(pipeline.id, { ...current, deleted_at: at, updated_at: at, version: current.version + 1 });
      for (const stage of stages) {
        const stored = this.store.stages.get(stage.id)!;
        this.store.stages.set(stage.id, { ...stored, deleted_at: at, updated_at: at, version: stored.version + 1 });
      }
    });
  }

  async createStage(stage: Stage, moved: StageChange[], events: DomainEvent[]): Promise<void> {
    this.#write(events, () => {
      const pipeline = this.store.pipelines.get(stage.pipeline_id);
      if (!pipeline || pipeline.deleted_at !== undefined) {
        throw ValidationError.field('body.pipeline_id', `no pipeline ${stage.pipeline_id}`);
      }
      if (this.store.stages.has(stage.id)) throw new ConflictError(`stage ${stage.id} already exists`);
      this.#checkMoved(moved);
      this.store.stages.set(stage.id, copy(stage));
      this.#applyMoved(moved);
    });
  }

  async updateStage(change: StageChange, moved: StageChange[], events: DomainEvent[]): Promise<void> {
    this.#write(events, () => {
      const current = this.store.stages.get(change.before.id);
      if (!current || current.deleted_at !== undefined) throw new NotFoundError('stage', change.before.id);
      if (current.version !== change.before.version) throw new VersionMismatchError('stage', current.id, copy(current));
      this.#checkMoved(moved);
      this.#applyMoved([change, ...moved]);
    });
  }

  async deleteStage(stage: Stage, moved: StageChange[], events: DomainEvent[]): Promise<void> {
    this.#write(events, () => {
      const current = this.store.stages.get(stage.id);
      if (!current || current.deleted_at !== undefined) throw new NotFoundError('stage', stage.id);
      if (current.deal_count > 0) {
        throw new ConflictError(
          `Stage "${stage.name}" received ${current.deal_count} deal(s) meanwhile; pass move_deals_to=<stage id> to move them and try again`,
        );
      }
      if (current.version !== stage.version) throw new VersionMismatchError('stage', stage.id, copy(current));
      this.#checkMoved(moved);
      // A tombstone, as the table keeps it.
      const at = deletedAt(events);
      this.store.stages.set(stage.id, { ...current, deleted_at: at, updated_at: at, version: current.version + 1 });
      this.#applyMoved(moved);
    });
  }

  #write(events: DomainEvent[], write: () => void): void {
    this.beforeWrite?.();
    this.store.transact(write);
    this.events.push(...copy(events));
  }

  #livePipelines(): Pipeline[] {
    return [...this.store.pipelines.values()].filter((p) => p.deleted_at === undefined);
  }

  #requireFreeName(name: string): void {
    if (this.#livePipelines().some((p) => nameKey(p.name) === nameKey(name))) {
      throw new ConflictError(`A pipeline named "${name}" already exists`);
    }
  }

  #checkMoved(moved: StageChange[]): void {
    for (const { before } of moved) {
      if (this.store.stages.get(before.id)?.version !== before.version) throw stagesChanged();
    }
  }

  /** Like the adapter: SET name, likelihood, position, updated_at, version; deal_count stays. */
  #applyMoved(changes: StageChange[]): void {
    for (const { after } of changes) {
      const current = this.store.stages.get(after.id)!;
      Object.assign(current, {
        name: after.name,
        likelihood: after.likelihood,
        position: after.position,
        updated_at: after.updated_at,
        version: after.version,
      });
    }
  }
}

export class InMemoryNamedListRepository implements NamedListRepository {
  readonly store: InMemoryStore;
  readonly events: DomainEvent[] = [];
  constructor(store = new InMemoryStore()) {
    this.store = store;
  }

  seed(kind: NamedListKind, entries: NamedEntry[]): this {
    this.store.seed({ namedEntries: { [kind]: entries } });
    return this;
  }

  names(kind: NamedListKind): string[] {
    return this.#live(kind)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((e) => e.name);
  }

  async get(kind: NamedListKind, id: string): Promise<NamedEntry | undefined> {
    const entry = this.store.namedList(kind).get(id);
    return entry && copy(entry);
  }

  async list(kind: NamedListKind, query: PageQuery): Promise<Page<NamedEntry>> {
    return paginate(this.#live(kind), query);
  }

  async create(kind: NamedListKind, entries: NamedEntry[], events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      const list = this.store.namedList(kind);
      for (const entry of entries) {
        if (list.has(entry.id)) throw new ConflictError(`${kind} ${entry.id} already exists`);
        this.#requireFreeName(kind, entry.name);
        list.set(entry.id, copy(entry));
      }
    });
    this.events.push(...copy(events));
  }

  async update(kind: NamedListKind, before: NamedEntry, after: NamedEntry, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      const current = this.store.namedList(kind).get(before.id);
      if (!current) throw new NotFoundError(NAMED_LIST_LABELS[kind], before.id);
      if (current.version !== before.version) throw new VersionMismatchError(NAMED_LIST_LABELS[kind], before.id, copy(current));
      if (nameKey(before.name) !== nameKey(after.name)) this.#requireFreeName(kind, after.name);
      this.store.namedList(kind).set(after.id, copy(after));
    });
    this.events.push(...copy(events));
  }

  async delete(kind: NamedListKind, entry: NamedEntry, events: DomainEvent[]): Promise<void> {
    this.store.transact(() => {
      const current = this.store.namedList(kind).get(entry.id);
      if (!current || current.deleted_at !== undefined) throw new NotFoundError(NAMED_LIST_LABELS[kind], entry.id);
      if (current.version !== entry.version) throw new VersionMismatchError(NAMED_LIST_LABELS[kind], entry.id, copy(current));
      // A tombstone, as the table keeps it.
      const at = deletedAt(events);
      this.store.namedList(kind).set(entry.id, { ...current, deleted_at: at, updated_at: at, version: current.version + 1 });
    });
    this.events.push(...copy(events));
  }

  #live(kind: NamedListKind): NamedEntry[] {
    return [...this.store.namedList(kind).values()].filter((e) => e.deleted_at === undefined);
  }

  #requireFreeName(kind: NamedListKind, name: string): void {
    if (this.#live(kind).some((e) => nameKey(e.name) === nameKey(name))) {
      throw new ConflictError(`A ${NAMED_LIST_LABELS[kind]} named "${name}" already exists`);
    }
  }
}

/**
 * The deals module's mover, on the store: moves a stage's deal count to the target and records
 * each call. `afterMove` runs once the deals moved (e.g. a deal arriving just then).
 */
export class FakeDealMover implements DealMover {
  readonly store: InMemoryStore;
  readonly calls: { from: string; to: string; actor: string }[] = [];
  afterMove: (() => void) | undefined;
  constructor(store: InMemoryStore) {
    this.store = store;
  }

  async moveAllDeals(from: Stage, to: Stage, call: Call): Promise<number> {
    const source = this.store.stages.get(from.id)!;
    const n = source.deal_count;
    source.deal_count = 0;
    this.store.stages.get(to.id)!.deal_count += n;
    this.calls.push({ from: from.id, to: to.id, actor: call.principal.user_id });
    this.afterMove?.();
    return n;
  }
}

// ---- Builders ----

const CREATED = '2031-01-01T00:00:00.000Z';

export function makePipeline(id: string, overrides: Partial<Pipeline> = {}): Pipeline {
  return { id, name: `Pipeline ${id.slice(-4)}`, created_at: CREATED, updated_at: CREATED, version: 1, ...overrides };
}

export function makeStage(id: string, pipelineId: string, overrides: Partial<Stage> = {}): Stage {
  return {
    id,
    pipeline_id: pipelineId,
    name: `Stage ${id.slice(-4)}`,
    category: 'active',
    position: 1,
    likelihood: 10,
    deal_count: 0,
    created_at: CREATED,
    updated_at: CREATED,
    version: 1,
    ...overrides,
  };
}

/**
 * A pipeline with the active stages named (ids from `firstStageId` up), then Won, Lost and
 * Unqualified: the shape every pipeline has.
 */
export function pipelineWithStages(
  pipelineId: string,
  activeNames: string[],
  firstStageId: number,
  overrides: Partial<Pipeline> = {},
): { pipeline: Pipeline; stages: Stage[] } {
  const closed: [string, StageCategory, number][] = [
    ['Won', 'won', 100],
    ['Lost', 'lost', 0],
    ['Unqualified', 'unqualified', 0],
  ];
  const all: [string, StageCategory, number][] = [
    ...activeNames.map((name, i): [string, StageCategory, number] => [name, 'active', 10 * (i + 1)]),
    ...closed,
  ];
  const stages = all.map(([name, category, likelihood], i) =>
    makeStage(testId(firstStageId + i), pipelineId, { name, category, likelihood, position: i + 1 }),
  );
  return { pipeline: makePipeline(pipelineId, overrides), stages };
}

export function makeEntry(id: string, name: string, overrides: Partial<NamedEntry> = {}): NamedEntry {
  return { id, name, created_at: CREATED, updated_at: CREATED, version: 1, ...overrides };
}
