import type { Clock } from '#shared/kernel/ports.ts';
import type { ExternalCalendar } from './domain.ts';
import { externalEvents } from './external-ics.ts';
import type { ExternalCalendars, IcsReader } from './ports.ts';

// The scheduled refresh of external calendars (F7.3): each URL read through the fetch guard,
// its events in the window stored for GET /calendar.

export interface RefreshDeps {
  externals: ExternalCalendars;
  reader: IcsReader;
  clock: Clock;
}

/** The window of events kept from an external calendar: 30 days back, 400 ahead (ms). */
export const EXTERNAL_PAST_MS = 30 * 86_400_000;
export const EXTERNAL_FUTURE_MS = 400 * 86_400_000;

export type RefreshOutcome =
  | { id: string; outcome: 'refreshed'; events: number }
  | { id: string; outcome: 'failed'; error: string }
  | { id: string; outcome: 'skipped' };

/**
 * Reads one external calendar and stores its events in the window (or why it failed: a
 * refused address, a timeout, a size over the limit, not iCalendar). Never throws for the
 * calendar's own faults; a table fault throws (the run is retried).
 */
export async function refreshExternalCalendar(deps: RefreshDeps, calendar: ExternalCalendar): Promise<RefreshOutcome> {
  const now = deps.clock.now();
  let outcome: { events: ReturnType<typeof externalEvents> } | { error: string };
  try {
    const text = await deps.reader.text(calendar.url);
    const events = externalEvents(text, new Date(now.getTime() - EXTERNAL_PAST_MS), new Date(now.getTime() + EXTERNAL_FUTURE_MS));
    outcome = { events };
  } catch (error) {
    const reason = (error as { reason?: unknown }).reason;
    outcome = { error: `${typeof reason === 'string' ? `${reason}: ` : ''}${(error as Error).message}`.slice(0, 300) };
  }
  const saved = await deps.externals.saveRefresh(calendar, outcome, deps.clock.now().toISOString());
  if (!saved) return { id: calendar.id, outcome: 'skipped' };
  return 'events' in outcome
    ? { id: calendar.id, outcome: 'refreshed', events: outcome.events.length }
    : { id: calendar.id, outcome: 'failed', error: outcome.error };
}

/** Calendars read at once by a refresh run. */
export const REFRESH_CONCURRENCY = 4;

/** One scheduled run: every external calendar, REFRESH_CONCURRENCY at a time, a chunk of 50 after another. */
export async function refreshExternalCalendars(deps: RefreshDeps): Promise<RefreshOutcome[]> {
  const outcomes: RefreshOutcome[] = [];
  let checkpoint: string | null = null;
  do {
    const { items, next }: { items: ExternalCalendar[]; next: string | null } = await deps.externals.chunk(checkpoint, 50);
    for (let i = 0; i < items.length; i += REFRESH_CONCURRENCY) {
      outcomes.push(...(await Promise.all(items.slice(i, i + REFRESH_CONCURRENCY).map((c) => refreshExternalCalendar(deps, c)))));
    }
    checkpoint = next;
  } while (checkpoint !== null);
  return outcomes;
}
