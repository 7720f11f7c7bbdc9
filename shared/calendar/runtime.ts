import { crmTable, runtimeClock } from '#shared/platform/runtime.ts';
import { DynamoCalendarFeeds, DynamoCalendarSources, DynamoExternalCalendars } from './dynamodb.ts';
import { SafeFetcher } from './safe-fetch.ts';
import type { RefreshDeps } from './refresh.ts';
import type { CalendarDeps } from './use-cases.ts';

// Calendars' adapters, built once per container. The refresh reads URLs through SafeFetcher
// with its production policy only (public https addresses; the test seam is never passed here).

let deps: CalendarDeps | undefined;
let refresh: RefreshDeps | undefined;

export function calendarAdapters(): CalendarDeps {
  const table = crmTable();
  deps ??= {
    feeds: new DynamoCalendarFeeds(table),
    sources: new DynamoCalendarSources(table),
    externals: new DynamoExternalCalendars(table),
  };
  return deps;
}

export function externalRefreshAdapters(): RefreshDeps {
  refresh ??= { externals: new DynamoExternalCalendars(crmTable()), reader: new SafeFetcher(), clock: runtimeClock };
  return refresh;
}
