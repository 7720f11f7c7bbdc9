import { eventHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';
import { outcomeConsumerAdapters } from '#shared/outcomes/runtime.ts';
import { recordOutcomes } from '#shared/outcomes/use-cases.ts';

// Bus rule target: deal and lead events → the won/lost/unqualified buckets (F1.3). A read
// model: its rule accepts replayed events. Idempotent through the record's head (the version
// applied, written in the same transaction as the counters), so the generic consumer marker
// is off (it holds write times).
const deps = outcomeConsumerAdapters();

export const handler = eventHandler({ name: 'deal-outcomes', dedupe: false }, async (event) => {
  const outcome = await recordOutcomes(deps, event);
  logger.debug('outcome buckets', { outcome });
});
