import { createHash } from 'node:crypto';
import type { ContactsDeps } from '#shared/contacts/use-cases.ts';
import { updateContact } from '#shared/contacts/use-cases.ts';
import type { DealsDeps } from '#shared/deals/use-cases.ts';
import { updateDeal } from '#shared/deals/use-cases.ts';
import type { LeadsDeps } from '#shared/leads/use-cases.ts';
import { updateLead } from '#shared/leads/use-cases.ts';
import type { TasksDeps } from '#shared/tasks/use-cases.ts';
import { createTask } from '#shared/tasks/use-cases.ts';
import { DomainError } from '#shared/kernel/errors.ts';
import { causedBy, type DomainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Call, Clock } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import {
  AUTOMATION_TRIGGERS,
  dueDate,
  failedFilter,
  MAX_CHAIN_DEPTH,
  type AutomationResource,
  type ConfiguredAction,
  type CreateTaskAction,
  type FilterContext,
} from './domain.ts';
import type { ActionRuns, AutomationCatalogue, AutomationRunStore, RunRecord } from './ports.ts';
import type { AutomationSummary } from './domain.ts';

// Running one configured action on one event (the automations function), and GET /automations.
// Safe to run:
// - one effect per (event, action): every id the effect writes (the task's, its events') is
//   derived from (event id, action), so a second run of the pair — a redelivery, a redrive, a
//   concurrent copy — collides with the first write in its own transaction (the outbox keeps
//   the first run's events for a week even if the task was deleted since) and is recorded as a
//   duplicate; a field already set writes nothing;
// - events the effect writes carry caused_by (this action, one link deeper); an event this
//   action wrote never triggers it again, and a chain of more than MAX_CHAIN_DEPTH links stops;
// - setting a field to the value it holds writes nothing and emits nothing (the families'
//   use-cases drop empty changes).

/** Automations act as the system, with an admin's reach (every record, any assignee). */
export const AUTOMATION_PRINCIPAL: Principal = { user_id: 'system', email: '', role: 'admin', direct_reports: [] };

export interface AutomationDeps {
  tasks: TasksDeps;
  deals: DealsDeps;
  leads: LeadsDeps;
  contacts: ContactsDeps;
  users: {
    get(id: string): Promise<{ id: string; reports_to: string | null; time_zone?: string | null } | undefined>;
    findIdByEmail(email: string): Promise<string | undefined>;
  };
  /** Member ids of the team of this name; undefined when there is none. */
  teamMemberIds(teamName: string): Promise<string[] | undefined>;
  /** Custom field ids by name for one kind of record. */
  customFieldIds(resource: AutomationResource): Promise<Map<string, string>>;
  /** Where days of due offsets are counted for an assignee with no zone of their own (the account's). */
  timeZone(): Promise<string>;
  /** A user's own time zone (IANA name), null when they have none; undefined for an unknown user. */
  userTimeZone(userId: string): Promise<string | null | undefined>;
  /** Whether an event of this id was written (the outbox keeps it for a week). */
  outboxHas(eventId: string): Promise<boolean>;
  runs: AutomationRunStore;
  clock: Clock;
}

/** What the automations function gets from the rule's input transformer. */
export interface AutomationInput {
  action: ConfiguredAction;
  event: DomainEvent;
}

/** An action that cannot run as configured (unknown user, no manager...): recorded, not retried. */
export class AutomationConfigError extends Error {
  override readonly name = 'AutomationConfigError';
}

/**
 * Ids derived from (event, action): ULIDs whose time is the event's and whose random part is
 * a hash of the event id, the action and the count, so every run of one (event, action)
 * writes the same ids.
 */
export function effectIds(event: DomainEvent, action: string): () => string {
  const time = encodeTime(Date.parse(event.metadata.occurred_at));
  let n = 0;
  return () => {
    const hash = createHash('sha256').update(`${event.metadata.event_id}|${action}|${n++}`).digest();
    return time + encodeBase32(hash, 16);
  };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[rest % 32]! + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeBase32(bytes: Uint8Array, chars: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
    value &= (1 << bits) - 1;
    if (out.length === chars) break;
  }
  return out;
}

/**
 * Runs one action on one event (at most once per pair: see the header) and records the run.
 * @returns the run; 'failed' for an action that cannot run as configured or a record gone.
 * @throws what is worth retrying (the store's errors): the run is then recorded as failed too.
 */
export async function runAutomation(deps: AutomationDeps, input: AutomationInput): Promise<RunRecord> {
  const run = (outcome: RunRecord['outcome'], extra: Partial<RunRecord> = {}): RunRecord => ({
    action: input.action.name,
    event_id: input.event.metadata.event_id,
    event_type: input.event.metadata.event_type,
    outcome,
    at: deps.clock.now().toISOString(),
    ...extra,
  });
  let result: RunRecord;
  try {
    result = await decideAndAct(deps, input, run);
  } catch (error) {
    const message = (error as Error).message;
    await deps.runs.record(run('failed', { message }));
    if (error instanceof AutomationConfigError || error instanceof DomainError) return run('failed', { message });
    throw error;
  }
  await deps.runs.record(result);
  return result;
}

async function decideAndAct(
  deps: AutomationDeps,
  { action, event }: AutomationInput,
  run: (outcome: RunRecord['outcome'], extra?: Partial<RunRecord>) => RunRecord,
): Promise<RunRecord> {
  if (event.metadata.caused_by?.automation === action.name) {
    return run('skipped_self', { message: 'the event was written by this action' });
  }
  if (event.metadata.origin?.type === 'import' && !event.metadata.origin.automations) {
    return run('skipped_import', {
      message: `written by import ${event.metadata.origin.id}, which did not ask for automated actions`,
    });
  }
  const cause = causedBy(event, action.name);
  if (cause.depth > MAX_CHAIN_DEPTH) {
    return run('skipped_depth', {
      message: `${cause.depth - 1} automated actions led to this event since ${cause.root_event_id}; a chain stops after ${MAX_CHAIN_DEPTH}`,
    });
  }
  if (event.metadata.event_type !== action.trigger.event) {
    return run('filtered_out', { message: `not a ${action.trigger.event} event` });
  }
  const record = event.data as Record<string, unknown>;
  if (
    (action.trigger.stage !== undefined && record.stage_key !== action.trigger.stage) ||
    (action.trigger.pipeline !== undefined && record.pipeline_key !== action.trigger.pipeline)
  ) {
    return run('filtered_out', { message: 'another stage or pipeline' });
  }
  const failed = failedFilter(action.filters, record, await filterContext(deps, action));
  if (failed !== -1) return run('filtered_out', { message: `filters[${failed}] (${action.filters[failed]!.field})` });

  const ids = effectIds(event, action.name);
  let drawn = 0;
  const ctx: EventContext = {
    actor_id: AUTOMATION_PRINCIPAL.user_id,
    correlation_id: event.metadata.correlation_id,
    now: deps.clock.now(),
    newId: () => (drawn++, ids()),
    caused_by: cause,
  };
  const call: Call = { principal: AUTOMATION_PRINCIPAL, events: ctx };
  const resource = AUTOMATION_TRIGGERS[action.trigger.event];
  const recordId = event.metadata.resource_id;
  const spec = action.action;

  if (spec.type === 'create_task') {
    const ownerId = String(record.owner_id ?? '');
    const assignee = await resolveAssignee(deps, spec.assignee, ownerId);
    // No read first: a second run's write collides with the first's (the same ids). The task
    // takes the first id drawn, its task.created event the second.
    const predicted = effectIds(event, action.name);
    const taskId = predicted();
    const taskEventId = predicted();
    // Days count in the assignee's zone ("2d" lands at the same wall-clock time, DST or not).
    const zone = spec.due_in ? ((await deps.userTimeZone(assignee)) ?? (await deps.timeZone())) : undefined;
    const due = spec.due_in && zone ? dueDate(new Date(event.metadata.occurred_at), spec.due_in, zone) : undefined;
    try {
      await createTask(deps.tasks, call, {
        content: spec.content,
        owner_id: assignee,
        resource_type: resource,
        resource_id: recordId,
        ...(due ? { due_date: due } : {}),
      });
    } catch (error) {
      // Another run of this (event, action) wrote the task (maybe deleted since): its ids collided.
      if ((await deps.tasks.tasks.get(taskId)) || (await deps.outboxHas(taskEventId))) {
        return run('duplicate', { effect_id: taskId });
      }
      throw error;
    }
    return run('done', { effect_id: taskId });
  }

  const patch = { custom_fields: { [spec.field]: spec.value } };
  // The first event the change would write has this id: written before means done before.
  const firstEventId = effectIds(event, action.name)();
  try {
    if (resource === 'deal') await updateDeal(deps.deals, call, recordId, patch);
    else if (resource === 'lead') await updateLead(deps.leads, call, recordId, patch);
    else await updateContact(deps.contacts, call, recordId, patch);
  } catch (error) {
    if (!(error instanceof DomainError) && (await deps.outboxHas(firstEventId))) {
      return run('duplicate', { effect_id: recordId });
    }
    throw error;
  }
  // No id drawn: the use-case found nothing to change, and wrote and emitted nothing.
  return drawn > 0
    ? run('done', { effect_id: recordId })
    : run('no_change', { effect_id: recordId, message: `${spec.field} already held the value` });
}

async function resolveAssignee(deps: AutomationDeps, assignee: CreateTaskAction['assignee'], ownerId: string): Promise<string> {
  if (assignee === 'owner') return ownerId;
  if (assignee === 'owner_manager') {
    const manager = (await deps.users.get(ownerId))?.reports_to;
    if (!manager) throw new AutomationConfigError(`the owner ${ownerId} reports to no one`);
    return manager;
  }
  const id = await deps.users.findIdByEmail(assignee.user.toLowerCase());
  if (!id) throw new AutomationConfigError(`no user with the e-mail ${assignee.user}`);
  return id;
}

/** Users by e-mail and teams by name the filters name, and the record kind's custom fields. */
async function filterContext(deps: AutomationDeps, action: ConfiguredAction): Promise<FilterContext> {
  const userIds = new Map<string, string>();
  const teamMembers = new Map<string, string[]>();
  let customFieldIds = new Map<string, string>();
  for (const filter of action.filters) {
    const values = filter.value === undefined ? [] : Array.isArray(filter.value) ? filter.value : [filter.value];
    if (filter.field === 'owner') {
      for (const email of values.map((v) => String(v).toLowerCase())) {
        const id = await deps.users.findIdByEmail(email);
        if (!id) throw new AutomationConfigError(`filter on owner: no user with the e-mail ${email}`);
        userIds.set(email, id);
      }
    } else if (filter.field === 'team') {
      for (const name of values.map(String)) {
        const members = await deps.teamMemberIds(name);
        if (!members) throw new AutomationConfigError(`filter on team: no team named "${name}"`);
        teamMembers.set(name, members);
      }
    } else if (filter.field.startsWith('custom:')) {
      customFieldIds = await deps.customFieldIds(action.resource);
      const name = filter.field.slice('custom:'.length);
      if (!customFieldIds.has(name))
        throw new AutomationConfigError(`filter on ${filter.field}: no such ${action.resource} field`);
    }
  }
  return { userIds, teamMembers, customFieldIds };
}

/** One configured action with its runs, as GET /automations answers. */
export interface AutomationView extends AutomationSummary, ActionRuns {}

/** GET /automations: every configured action, in config order, with its runs. */
export async function listAutomations(deps: {
  catalogue: AutomationCatalogue;
  runs: AutomationRunStore;
}): Promise<{ items: AutomationView[] }> {
  const actions = deps.catalogue.actions();
  const runs = await deps.runs.runsOf(actions.map((a) => a.name));
  return {
    items: actions.map((action) => ({
      ...action,
      ...(runs.get(action.name) ?? { runs: 0, failures: 0, last_run: null, last_failure: null }),
    })),
  };
}
