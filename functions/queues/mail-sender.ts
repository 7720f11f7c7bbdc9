import { mailQueueMessageSchema } from '#shared/mail/domain.ts';
import { mailSenderAdapters } from '#shared/mail/runtime.ts';
import { sendRequestedMail } from '#shared/mail/use-cases.ts';
import { sqsHandler } from '#shared/platform/consumers/batches.ts';
import { logger } from '#shared/platform/observability.ts';

// The mail queue's consumer: every mail the CRM sends, one request per message, through SES
// at the account's rate (paced per worker, the event source bounds the workers). A request
// that fails (SES throttled it, DynamoDB failed) is reported as a batch item failure, so SQS
// hands it out again after the visibility timeout and, past maxReceiveCount, parks it in the DLQ.
const deps = mailSenderAdapters();

export const handler = sqsHandler({ name: 'mail-sender', body: mailQueueMessageSchema }, async (message) => {
  const outcome = await sendRequestedMail(deps, message.detail.data);
  logger.info('mail request', { outcome, request_event_id: message.detail.metadata.event_id, type: message.detail.data.type });
});
