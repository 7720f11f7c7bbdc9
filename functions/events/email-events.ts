import * as z from 'zod/mini';
import { sesEventDetailSchema } from '#shared/emails/domain.ts';
import { DynamoEmailRepository } from '#shared/emails/dynamodb.ts';
import { applySesEvent } from '#shared/emails/use-cases.ts';
import { scheduledHandler } from '#shared/platform/consumers/events.ts';
import { crmTable } from '#shared/platform/runtime.ts';

// The configuration set's SES events (forwarded from the default bus to the CRM bus): each
// applied once per EventBridge event id, by a marker written in the same transaction as the
// message's opens, clicks or status and the addresses' bounce or complaint marks. These are
// not CRM envelopes, so the generic handler stack runs with the raw event as its payload.

const sesBusEvent = z.object({
  id: z.string().check(z.minLength(1)),
  time: z.string(),
  'detail-type': z.string(),
  detail: sesEventDetailSchema,
});

const emails = new DynamoEmailRepository(crmTable());

export const handler = scheduledHandler(
  {
    name: 'email-events',
    payload: sesBusEvent,
    logKeys: (event) => ({
      ses_event_id: event.id,
      detail_type: event['detail-type'],
      ses_message_id: event.detail.mail.messageId,
    }),
  },
  (event) => applySesEvent(emails, event),
);
