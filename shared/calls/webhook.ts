import { ForbiddenError } from '#shared/kernel/errors.ts';
import type { EventContext } from '#shared/kernel/events.ts';
import { twilioActivity, verifyTwilioSignature } from './domain.ts';
import { logProviderActivity, providerActorId, type LoggedActivity, type ProviderDeps } from './use-cases.ts';

// The Twilio-compatible webhook as a use case: the request's signature checked against the
// auth token before anything is read or written, then the call or text logged.

/** Empty TwiML: Twilio takes it as "nothing to do" for both status callbacks and messages. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export interface TwilioRequest {
  /** The full URL Twilio called (scheme, host, path and query), as it signed it. */
  url: string;
  /** The form body as sent (application/x-www-form-urlencoded). */
  body: string;
  signature: string | undefined;
}

/**
 * Verifies and logs one webhook request. A wrong or missing signature is a ForbiddenError
 * (403) and nothing is written; parameters that are no finished call nor message log nothing.
 */
export async function receiveTwilioWebhook(
  deps: ProviderDeps & { authToken: () => Promise<string> },
  ctx: Omit<EventContext, 'actor_id'>,
  request: TwilioRequest,
): Promise<LoggedActivity | undefined> {
  const params = Object.fromEntries(new URLSearchParams(request.body));
  if (!verifyTwilioSignature(await deps.authToken(), request.url, params, request.signature)) {
    throw new ForbiddenError('The request signature (X-Twilio-Signature) does not match', { code: 'call.bad_signature' });
  }
  const activity = twilioActivity(params, ctx.now);
  if (!activity) return undefined;
  return logProviderActivity(deps, { ...ctx, actor_id: providerActorId('twilio') }, 'twilio', activity);
}
