import * as z from 'zod/mini';
import { ADMIN_ONLY, route } from '#shared/platform/http/contract.ts';
import { MAX_CHAIN_DEPTH } from './domain.ts';

// The configured automated actions and their runs (F10): admins only, read-only. The actions
// come from the deployment config (crm.config.json `automations`), not from this API.

const family = 'automations';
const tags = ['automations'];

const runSchema = z.object({
  action: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  outcome: z
    .enum(['done', 'no_change', 'filtered_out', 'skipped_self', 'skipped_import', 'skipped_depth', 'duplicate', 'failed'])
    .check(
      z.describe(
        `done: the effect happened; no_change: the field already held the value; filtered_out: a filter ruled the record out; skipped_self: the action wrote the event itself; skipped_import: a CSV import wrote the record without asking for automated actions; skipped_depth: more than ${MAX_CHAIN_DEPTH} automated actions led to the event; duplicate: a redelivery of an event already acted on; failed: see message`,
      ),
    ),
  at: z.iso.datetime(),
  message: z.optional(z.string()),
  effect_id: z.optional(z.string().check(z.describe('The record written: the task, or the record whose field was set'))),
});

export const listAutomationsRoute = route({
  id: 'listAutomations',
  method: 'GET',
  path: '/automations',
  family,
  summary: 'List the configured automated actions with their last run and last failure (admins)',
  access: ADMIN_ONLY,
  response: z.object({
    items: z.array(
      z.object({
        name: z.string().check(z.describe("The action's name: its EventBridge rule is automation-<name>")),
        automation: z.string(),
        trigger: z.string().check(z.describe('The trigger event, and ":<stage key>" when it names a stage')),
        type: z.enum(['create_task', 'set_field']),
        runs: z.int(),
        failures: z.int(),
        last_run: z.nullable(runSchema),
        last_failure: z.nullable(runSchema),
      }),
    ),
  }),
  status: 200,
  tags,
});

export const automationRoutes = [listAutomationsRoute] as const;
