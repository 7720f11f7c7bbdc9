import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Pipeline, Stage } from './domain.ts';
import type { NamedEntry, NamedListKind } from './reasons.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';

// Ports of the pipelines module. The deals module reads stages through `StageReader`, and
// stage deletion moves deals through `DealMover` (implemented by the deals module), so the
// two modules meet only at these interfaces.
//
// Deal writes change a stage's `deal_count` only (an atomic ADD), never its other fields or
// its `version`: stage edits and deal moves do not conflict, and a stage delete conditioned
// on `deal_count = 0` is refused when a deal arrives meanwhile.

export interface StageReader {
  get(id: string): Promise<Stage | undefined>;
  /** Every stage of a pipeline, in position order. */
  ofPipeline(pipelineId: string): Promise<Stage[]>;
}

export interface DealMover {
  /** Moves every deal of `from` into `to` (same pipeline), as stage changes by the caller. */
  moveAllDeals(from: Stage, to: Stage, call: Call): Promise<number>;
}

/** A stage as read and as it is to be written; the write fails if `before` is stale. */
export interface StageChange {
  before: Stage;
  after: Stage;
}

export interface PipelineRepository extends StageReader {
  getPipeline(id: string): Promise<Pipeline | undefined>;
  listPipelines(query: PageQuery): Promise<Page<Pipeline>>;
  /** How many pipelines the company has (a counter kept by the writes: one read). */
  pipelineCount(): Promise<number>;
  /**
   * Gives a pipeline made before keys existed its key (`key`, claimed for good; undefined when
   * it has one) and these stages theirs, each only while it still has none, in one write.
   * ConflictError (pipeline.key_taken) when another pipeline had the key.
   */
  assignKeys(pipeline: Pipeline, key: string | undefined, stages: readonly { stage: Stage; key: string }[]): Promise<void>;
  /** Writes the pipeline and its stages together; ConflictError if the name is taken. */
  createPipeline(pipeline: Pipeline, stages: Stage[], events: DomainEvent[]): Promise<void>;
  /** VersionMismatchError if `before` is stale; ConflictError if the new name is taken. */
  renamePipeline(before: Pipeline, after: Pipeline, events: DomainEvent[]): Promise<void>;
  /**
   * Deletes the pipeline and every stage given, each only while it holds no deal and is as
   * read; ConflictError otherwise, or when it is the company's last pipeline.
   */
  deletePipeline(pipeline: Pipeline, stages: Stage[], events: DomainEvent[]): Promise<void>;
  /** Adds a stage to a pipeline that still exists, renumbering `moved` in the same write. */
  createStage(stage: Stage, moved: StageChange[], events: DomainEvent[]): Promise<void>;
  /** Changes name, likelihood and position only (deal_count moves with the deals). */
  updateStage(change: StageChange, moved: StageChange[], events: DomainEvent[]): Promise<void>;
  /** Deletes the stage only while `deal_count = 0` and it is as read; renumbers `moved`. */
  deleteStage(stage: Stage, moved: StageChange[], events: DomainEvent[]): Promise<void>;
}

/** Loss reasons, unqualified reasons and sources: one repository for the four lists. */
export interface NamedListRepository {
  get(kind: NamedListKind, id: string): Promise<NamedEntry | undefined>;
  list(kind: NamedListKind, query: PageQuery): Promise<Page<NamedEntry>>;
  /** Adds entries in one write; ConflictError if a name is taken in the list (any case). */
  create(kind: NamedListKind, entries: NamedEntry[], events: DomainEvent[]): Promise<void>;
  /** VersionMismatchError if `before` is stale; ConflictError if the new name is taken. */
  update(kind: NamedListKind, before: NamedEntry, after: NamedEntry, events: DomainEvent[]): Promise<void>;
  /** VersionMismatchError if `entry` is stale. */
  delete(kind: NamedListKind, entry: NamedEntry, events: DomainEvent[]): Promise<void>;
}
