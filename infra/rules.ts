import { ACTIVITY_EVENTS } from '#shared/activities/domain.ts';
import { CONTACT_STATUS_EVENTS } from '#shared/contacts/status.ts';
import { USER_DIRECTORY_EVENTS } from '#shared/identity/directory-sync.ts';
import { EVENT_SOURCE } from '#shared/kernel/events.ts';
import { MIGRATION_CONTINUE_EVENT } from '#shared/platform/migrations/runner.ts';
import type { CrmConfig } from './config/schema.ts';
import type { EventPattern } from './local/eventbridge/pattern-matcher.ts';

// Rules on the "crm" bus: the built-in consumers and, from the deployment config, the
// admins' automated actions (F10, a later issue). The stateless stack makes one EventBridge
// rule per entry; the local bus matches the same patterns with the local matcher and calls
// the same handler modules.

export interface BusRule {
  name: string;
  description: string;
  pattern: EventPattern;
  /** The target Lambda: functions/events/<target>.ts, "crm-<stage>-<target>" in AWS. */
  target: string;
}

/** The consumers every deployment has. */
export const builtinRules: readonly BusRule[] = [
  {
    name: 'user-directory-sync',
    description: 'Keeps Cognito (sign-in, groups, enabled) in step with the CRM user records',
    pattern: { source: [EVENT_SOURCE], 'detail-type': [...USER_DIRECTORY_EVENTS] },
    target: 'user-directory-sync',
  },
  {
    name: 'contact-status',
    description: "Keeps contacts' prospect and customer statuses in step with their deals",
    pattern: { source: [EVENT_SOURCE], 'detail-type': [...CONTACT_STATUS_EVENTS] },
    target: 'contact-status',
  },
  {
    // A read model: replayed events are welcome (a replay of the archive rebuilds the feed).
    name: 'activity-feed',
    description: 'Writes the activity feed (a read model) from lead, contact, deal, note and task events',
    pattern: { source: [EVENT_SOURCE], 'detail-type': [...ACTIVITY_EVENTS] },
    target: 'activity-feed',
  },
  {
    name: 'migrate',
    description: 'Continues the migrations (backfills of read models) a run paused at its deadline',
    pattern: { source: [EVENT_SOURCE], 'detail-type': [MIGRATION_CONTINUE_EVENT] },
    target: 'migrate',
  },
];

export function busRules(_config: CrmConfig): BusRule[] {
  return [...builtinRules];
}
