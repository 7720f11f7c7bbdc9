import * as z from 'zod/mini';
import { externalRefreshAdapters } from '#shared/calendar/runtime.ts';
import { refreshExternalCalendars } from '#shared/calendar/refresh.ts';
import { scheduledHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';

// EventBridge Scheduler target of a recurring schedule (rate(1 hour), the stateless stack):
// reads every external calendar through the SSRF-guarded fetcher and stores its events (or why
// it could not). No markers: a run replaces each calendar's events whole, so a second
// delivery of one firing only reads the feeds again. Its input is infra/functions.ts's
// EXTERNAL_CALENDARS_SCHEDULE.input.

export const handler = scheduledHandler(
  { name: 'external-calendars', payload: z.object({ refresh: z.literal('external_calendars') }) },
  async () => {
    const outcomes = await refreshExternalCalendars(externalRefreshAdapters());
    const failed = outcomes.filter((o) => o.outcome === 'failed');
    logger.info('external calendars refreshed', { calendars: outcomes.length, failed: failed.length, outcomes: failed });
  },
);
