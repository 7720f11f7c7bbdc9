import * as z from 'zod/mini';
import { configuredActionSchema } from '#shared/automations/domain.ts';
import { automationAdapters } from '#shared/automations/runtime.ts';
import { runAutomation, type AutomationInput } from '#shared/automations/use-cases.ts';
import { envelopeSchema } from '#shared/platform/consumers/envelope.ts';
import { scheduledHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';

// Bus rule target of every automated action (infra/automations.ts): the rule's input
// transformer hands `{action, event}`. No delivery marker: the effect is its own (every id it
// writes derives from the event and the action, so a second delivery's write collides with
// the first in the same transaction; see shared/automations/use-cases.ts), which saves the
// marker's two requests on the way to the effect. Each run is recorded for GET /automations.

const deps = automationAdapters();

const input = z.object({ action: configuredActionSchema, event: envelopeSchema() });

export const handler = scheduledHandler(
  {
    name: 'automated-actions',
    payload: input,
    logKeys: ({ action, event }) => ({
      automation_action: action.name,
      event_id: event.metadata.event_id,
      event_type: event.metadata.event_type,
      correlation_id: event.metadata.correlation_id,
    }),
  },
  async (payload) => {
    const run = await runAutomation(deps, payload as unknown as AutomationInput);
    if (run.outcome === 'skipped_depth') logger.warn('automation chain too deep: stopped', { run });
    else if (run.outcome === 'failed') logger.error('automated action failed', { run });
    else logger.info('automated action ran', { run });
  },
);
