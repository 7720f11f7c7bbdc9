import { runRegisteredMigrations } from '#shared/bootstrap/runtime.ts';
import { eventHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';

// Bus rule target: "migration.continue" → the registry's migrations go on from their
// checkpoints, until done or MARGIN_MS before this invocation's timeout, when the run pauses
// and asks again (a chain of invocations, each a bounded chunk of work). A crashed run keeps
// its lease until its timeout; Lambda's async retry (a minute or more later) then resumes.
// No markers: the migration's own lease and checkpoints make a redelivery harmless.

const MARGIN_MS = 20_000;

export const handler = eventHandler({ name: 'migrate', dedupe: false }, async (event, { context }) => {
  const remaining = context?.getRemainingTimeInMillis();
  const reports = await runRegisteredMigrations({
    holder: context?.awsRequestId ?? event.metadata.event_id,
    leaseMs: remaining ?? 60_000,
    deadline: remaining !== undefined ? Date.now() + remaining - MARGIN_MS : undefined,
  });
  logger.info('migrations run', { reports });
});
