import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes calendars answer with (docs/error-codes.md lists them all).

export const calendarErrorCodes = /* @__PURE__ */ defineErrorCodes('calendar', {
  'calendar_feed.not_found': {
    status: 404,
    title: 'Calendar feed not found',
    description: 'No feed has this URL: it was rotated or turned off, or its user is deactivated.',
  },
  'external_calendar.not_found': {
    status: 404,
    title: 'External calendar not found',
    description: 'You have no external calendar of this id (each user sees only their own).',
  },
  'external_calendar.limit_reached': {
    status: 409,
    title: 'Too many external calendars',
    description: 'A user has at most 10 external calendars; remove one first.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    calendar: typeof calendarErrorCodes;
  }
}
