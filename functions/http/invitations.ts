import { answerByToken, rsvpView } from '#shared/invitations/use-cases.ts';
import { invitationAdapters } from '#shared/invitations/runtime.ts';
import * as routes from '#shared/invitations/routes.ts';
import { httpHandler, implement } from '#shared/platform/http/handler.ts';

// The public RSVP routes: no caller to resolve (the token is the proof), so the platform
// handler without the identity lookup. The answer's event names the attendee as its actor.

const deps = invitationAdapters();

export const handler = httpHandler([
  implement(routes.getRsvpRoute, (req) => rsvpView(deps, req.params.token)),
  implement(routes.answerRsvpRoute, (req) =>
    answerByToken(
      deps,
      { actor_id: 'rsvp', correlation_id: req.correlationId, now: req.call.events.now, newId: req.call.events.newId },
      req.params.token,
      req.body.response,
    ),
  ),
]);
