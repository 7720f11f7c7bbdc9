import { providerAdapters, voiceAuthToken } from '#shared/calls/runtime.ts';
import { EMPTY_TWIML, receiveTwilioWebhook } from '#shared/calls/webhook.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/calls/routes.ts';
import { header, type HttpEvent } from '#shared/platform/http/request.ts';
import { runtimeIds } from '#shared/platform/runtime.ts';

// The voice provider's webhook (public; Twilio signs each request with the account's auth
// token, kept in Secrets Manager): verify, log the call or text, answer empty TwiML.

const deps = { ...providerAdapters(), authToken: voiceAuthToken };

/** The URL the provider called, as it signed it: the public origin, the path and the query. */
function calledUrl(event: HttpEvent): string {
  const host = header(event.headers, 'host') ?? event.requestContext.domainName;
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  return `${header(event.headers, 'x-forwarded-proto') ?? 'https'}://${host}${event.rawPath}${query}`;
}

export const handler = httpHandler([
  implement(routes.twilioWebhookRoute, async (req) => {
    const body = req.event.body ?? '';
    await receiveTwilioWebhook(
      deps,
      { correlation_id: req.correlationId, now: new Date(), newId: runtimeIds },
      {
        url: calledUrl(req.event),
        body: req.event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body,
        signature: header(req.event.headers, 'x-twilio-signature'),
      },
    );
    return EMPTY_TWIML;
  }),
]);
