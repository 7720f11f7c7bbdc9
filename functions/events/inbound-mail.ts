import { S3Client } from '@aws-sdk/client-s3';
import type { EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { parseInbound } from '#shared/emails/inbound.ts';
import { emailAdapters } from '#shared/emails/runtime.ts';
import { receiveEmail } from '#shared/emails/use-cases.ts';
import { classifyInbound, INBOUND_PREFIX, readInbound } from '#shared/invitations/inbound.ts';
import { invitationAdapters } from '#shared/invitations/runtime.ts';
import { recordItipReply } from '#shared/invitations/use-cases.ts';
import { logger } from '#shared/platform/observability.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';

// Rule target on the default bus: S3's Object Created for a key under inbound/ of the files
// bucket (SES's receipt rule stores each received mail there) → the general inbound-mail
// entry: the mail is parsed and dispatched by content. A calendar REPLY records the attendee's
// answer; other mail is logged in the mailbox of the user it is for (a Reply-To token, a
// forwarding/BCC address), threaded and matched to leads and contacts. A redelivery records
// the same answers again and logs no message twice.

const bucket = requireEnv(RUNTIME_ENV.filesBucket);
// Built at cold start: the mail settings (domains of the Reply-To and forwarding tokens) are read now.
const emails = emailAdapters();
const s3 = new S3Client({});

const objectCreatedDetail = z.looseObject({
  bucket: z.looseObject({ name: z.string() }),
  object: z.looseObject({ key: z.string() }),
});

export const handler = async (event: EventBridgeEvent<string, unknown>): Promise<string> => {
  const detail = objectCreatedDetail.parse(event.detail);
  logger.appendKeys({ consumer: 'inbound-mail', bus_event_id: event.id, key: detail.object.key });
  try {
    // S3 URL-encodes keys in events (a space as "+").
    const key = decodeURIComponent(detail.object.key.replace(/\+/g, ' '));
    if (detail.bucket.name !== bucket || !key.startsWith(INBOUND_PREFIX)) {
      logger.warn('not an inbound mail', { bucket: detail.bucket.name });
      return 'not_inbound';
    }
    const raw = await readInbound(s3, bucket, key);
    const mail = await classifyInbound(raw);
    const ctx = { actor_id: 'system', correlation_id: event.id, now: runtimeClock.now(), newId: runtimeIds };
    if (mail.kind === 'itip_reply') {
      const outcomes = await recordItipReply(invitationAdapters(), ctx, {
        from: mail.from,
        replies: mail.replies,
      });
      logger.info('calendar reply', { outcomes, from: mail.from, message_id: mail.message_id });
      return 'itip_reply';
    }
    const outcomes = await receiveEmail(emails, ctx, await parseInbound(raw));
    logger.info('inbound mail', { outcomes, from: mail.from, message_id: mail.message_id });
    return outcomes.length === 0 ? 'no_mailbox' : outcomes.some((o) => o.outcome === 'logged') ? 'logged' : 'not_logged';
  } finally {
    logger.resetKeys();
  }
};
