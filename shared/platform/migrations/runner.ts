// The migration runner: builds new read models (and, later, counters, reminders, indexes)
// from existing records, on a live deployment, at deploy and at `npm start`. Each migration
// runs once (a marker item per migration records "done"), in bounded chunks with a checkpoint
// after each (a crash resumes from the last one), under a lease (a second run at the same
// time finds it held and leaves it alone). A chunk must be idempotent: it may run again
// after a crash between its writes and its checkpoint.

/** The event that asks a run to go on with a paused migration (the `migrate` function's rule). */
export const MIGRATION_CONTINUE_EVENT = 'migration.continue';

/** One migration; `id` is its marker's name forever (renaming it runs it again). */
export interface Migration {
  /** Kebab-case, unique, e.g. "2026-12-activity-feed". */
  readonly id: string;
  readonly description: string;
  /**
   * Runs one bounded chunk from `checkpoint` (null: the start).
   * @returns the checkpoint to go on from, or null when the migration is complete
   */
  step(checkpoint: string | null): Promise<string | null>;
}

/** A migration's marker as stored. */
export interface MigrationMarker {
  id: string;
  status: 'running' | 'done';
  checkpoint: string | null;
  /** Chunks completed so far (all runs together). */
  chunks: number;
}

/** Where markers live; every write is conditional on the caller's lease. */
export interface MigrationStore {
  get(id: string): Promise<MigrationMarker | undefined>;
  /** Takes the lease unless another holder's is still running or the migration is done; undefined then. */
  acquire(id: string, holder: string, leaseUntil: number): Promise<MigrationMarker | undefined>;
  /** Saves a checkpoint and extends the lease; false when the lease was lost (another run took over). */
  checkpoint(id: string, holder: string, checkpoint: string, chunks: number, leaseUntil: number): Promise<boolean>;
  /** Marks the migration done and drops the lease; false when the lease was lost. */
  finish(id: string, holder: string, chunks: number): Promise<boolean>;
  /**
   * Drops the lease and asks for another run to go on from the checkpoint (the deployed store
   * puts a "migration.continue" event on the bus through the outbox, in the same write).
   */
  pause(id: string, holder: string): Promise<boolean>;
}

export type MigrationOutcome =
  /** Done before this run. */
  | 'already_done'
  /** Completed by this run. */
  | 'done'
  /** Stopped at the deadline with work left; a continuation was requested. */
  | 'paused'
  /** Another run holds the lease. */
  | 'busy'
  /** Another run took the lease over while this one worked (this one's lease had expired). */
  | 'lost_lease';

export interface MigrationReport {
  id: string;
  outcome: MigrationOutcome;
  /** Chunks this run completed. */
  chunks: number;
}

export interface RunOptions {
  /** Names this run in the lease (e.g. the Lambda request id). */
  holder: string;
  /** How long a lease holds past each checkpoint (ms): a crashed run's lease ends that long after. */
  leaseMs: number;
  /** Epoch ms after which no new chunk starts (undefined: run to the end). */
  deadline?: number | undefined;
  now?: () => number;
}

/**
 * Runs the registry's migrations in order, each from its checkpoint; stops at the first that
 * is not complete (later migrations may build on earlier ones).
 */
export async function runMigrations(
  store: MigrationStore,
  migrations: readonly Migration[],
  options: RunOptions,
): Promise<MigrationReport[]> {
  const now = options.now ?? Date.now;
  const ids = new Set<string>();
  for (const m of migrations) {
    if (ids.has(m.id)) throw new Error(`migration "${m.id}" is registered twice`);
    ids.add(m.id);
  }
  const reports: MigrationReport[] = [];
  for (const migration of migrations) {
    const report = await runOne(store, migration, options, now);
    reports.push(report);
    if (report.outcome !== 'done' && report.outcome !== 'already_done') break;
  }
  return reports;
}

async function runOne(
  store: MigrationStore,
  migration: Migration,
  options: RunOptions,
  now: () => number,
): Promise<MigrationReport> {
  const { id } = migration;
  const known = await store.get(id);
  if (known?.status === 'done') return { id, outcome: 'already_done', chunks: 0 };
  const marker = await store.acquire(id, options.holder, now() + options.leaseMs);
  if (!marker) {
    const again = await store.get(id);
    return { id, outcome: again?.status === 'done' ? 'already_done' : 'busy', chunks: 0 };
  }
  let checkpoint = marker.checkpoint;
  let total = marker.chunks;
  let chunks = 0;
  for (;;) {
    if (options.deadline !== undefined && now() >= options.deadline) {
      const paused = await store.pause(id, options.holder);
      return { id, outcome: paused ? 'paused' : 'lost_lease', chunks };
    }
    const next = await migration.step(checkpoint);
    chunks++;
    total++;
    if (next === null) {
      const finished = await store.finish(id, options.holder, total);
      return { id, outcome: finished ? 'done' : 'lost_lease', chunks };
    }
    if (!(await store.checkpoint(id, options.holder, next, total, now() + options.leaseMs))) {
      return { id, outcome: 'lost_lease', chunks };
    }
    checkpoint = next;
  }
}
