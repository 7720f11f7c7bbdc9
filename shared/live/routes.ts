import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { liveTicketSchema, TICKET_TTL_SECONDS } from './domain.ts';

// The ticket a browser opens the notifications WebSocket with (it cannot send headers there).
// Served by the notifications function: the ticket is for the caller's own notifications.

export const createLiveTicketRoute = route({
  id: 'createLiveTicket',
  method: 'POST',
  path: '/notifications/live_ticket',
  family: 'notifications',
  summary: `A single-use ticket, good for ${TICKET_TTL_SECONDS} s, to open the caller's live notifications WebSocket with (?ticket=)`,
  access: ALL_ROLES,
  response: liveTicketSchema,
  status: 200,
  tags: ['notifications'],
});

export const liveRoutes = [createLiveTicketRoute] as const;
