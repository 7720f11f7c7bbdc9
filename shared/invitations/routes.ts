import * as z from 'zod/mini';
import { route } from '#shared/platform/http/contract.ts';
import { rsvpAnswerInput, rsvpTokenSchema, rsvpViewSchema } from './domain.ts';

// The public RSVP routes (F7.2): an invitation's links open the web app's page, which reads
// the invitation with GET and records the attendee's choice with POST (a prefetching link
// scanner only GETs, and answers nothing). No login: the token is the attendee's proof, good
// for this one attendee of this one appointment and nothing else.

const family = 'invitations';
const tags = ['invitations'];
const tokenParams = z.strictObject({ token: rsvpTokenSchema });

export const getRsvpRoute = route({
  id: 'getRsvp',
  method: 'GET',
  path: '/rsvp/{token}',
  family,
  summary: "Read the invitation an RSVP link names, and the attendee's answer (public: the link's token)",
  access: 'public',
  params: tokenParams,
  response: rsvpViewSchema,
  status: 200,
  tags,
});

export const answerRsvpRoute = route({
  id: 'answerRsvp',
  method: 'POST',
  path: '/rsvp/{token}',
  family,
  summary: "Record the attendee's answer (accepted, tentative, declined) to the invitation an RSVP link names (public)",
  access: 'public',
  params: tokenParams,
  body: rsvpAnswerInput,
  response: rsvpViewSchema,
  status: 200,
  tags,
});

export const invitationRoutes = [getRsvpRoute, answerRsvpRoute] as const;
