import type { CrmConfig } from './config/schema.ts';
import type { EventPattern } from './local/eventbridge/pattern-matcher.ts';

// Rules on the "crm" bus: the built-in consumers (activity feed, notifications, reminder
// sync...) and, from the deployment config, the admins' automated actions (F10). The
// stateless stack makes one EventBridge rule per entry; the local bus matches the same
// patterns with the local matcher and calls the same handler modules.

export interface BusRule {
  name: string;
  description: string;
  pattern: EventPattern;
  /** Entry module of the target Lambda, under functions/. */
  target: string;
}

export function busRules(_config: CrmConfig): BusRule[] {
  return [];
}
