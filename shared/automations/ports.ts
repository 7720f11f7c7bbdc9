import type { AutomationSummary } from './domain.ts';

// Ports of the automations module: the read model of runs (GET /automations), and what the
// automations function reads about users, teams and the account.

/** What one run of an action did. */
export type RunOutcome =
  /** The effect happened: a task created, a field set. */
  | 'done'
  /** Nothing to write: the field already held the value. */
  | 'no_change'
  /** A filter the pattern could not hold ruled the record out. */
  | 'filtered_out'
  /** The event was written by this very action. */
  | 'skipped_self'
  | 'skipped_import'
  /** The chain of automations behind the event was already MAX_CHAIN_DEPTH long. */
  | 'skipped_depth'
  /** This (event, action) had its effect before (a redelivery). */
  | 'duplicate'
  /** The action could not run (an unknown user or field, a record gone...): see `message`. */
  | 'failed';

export interface RunRecord {
  action: string;
  event_id: string;
  event_type: string;
  outcome: RunOutcome;
  at: string;
  /** Why it failed or was skipped. */
  message?: string | undefined;
  /** The record the effect wrote (the task's id, the deal's id...). */
  effect_id?: string | undefined;
}

/** An action's runs as GET /automations shows them. */
export interface ActionRuns {
  runs: number;
  failures: number;
  last_run: RunRecord | null;
  last_failure: RunRecord | null;
}

export interface AutomationRunStore {
  /** Counts the run and keeps it as the last one (and as the last failure when it failed). */
  record(run: RunRecord): Promise<void>;
  /** The runs of these actions (absent: never ran). */
  runsOf(actions: readonly string[]): Promise<Map<string, ActionRuns>>;
}

export interface AutomationCatalogue {
  /** The configured actions (from the deployment config). */
  actions(): AutomationSummary[];
}
