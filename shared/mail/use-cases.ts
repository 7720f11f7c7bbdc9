import type { Clock } from '#shared/kernel/ports.ts';
import { mailKey, sendSpacingMs, type MailOutcome, type MailRequest, type SendPacer } from './domain.ts';
import type { MailJob, MailLog, MailTransport } from './ports.ts';

export interface MailSenderDeps {
  transport: MailTransport;
  jobs: Record<MailRequest['type'], MailJob>;
  /** This worker's pacer (one per container: a worker sends one mail at a time). */
  pacer: SendPacer;
  /** Workers at most (the event source's maximum concurrency): they share MaxSendRate. */
  concurrency: number;
  clock: Clock;
  log: MailLog;
}

/**
 * Sends the mail of one request, at most once in practice: the job's claim is a conditional
 * write, so a redelivered request (or one a grouped mail covered) finds it settled. A
 * suppressed address is not sent to, and that is recorded and logged. A failed send releases
 * the claim and throws, so the request goes back on the queue.
 * @throws MailThrottledError when SES refused for rate; any other error of SES or DynamoDB
 */
export async function sendRequestedMail(deps: MailSenderDeps, request: MailRequest): Promise<MailOutcome> {
  const job = deps.jobs[request.type];
  const key = mailKey(request);
  const claimed = await job.claim(request, deps.clock.now());
  if (!claimed) return 'duplicate';
  if (!claimed.mail) {
    await job.settle(claimed, { status: 'no_recipient' }, deps.clock.now());
    deps.log.warn('mail not sent: no active recipient', { key, recipient_id: request.recipient_id });
    return 'no_recipient';
  }
  const mail = claimed.mail;
  let messageId: string;
  try {
    const suppressed = await deps.transport.suppression(mail.to);
    if (suppressed) {
      await job.settle(claimed, { status: 'suppressed', reason: suppressed.reason }, deps.clock.now());
      deps.log.warn('mail not sent: the address is on the SES suppression list', {
        key,
        recipient_id: request.recipient_id,
        reason: suppressed.reason,
        covers: claimed.covers,
      });
      return 'suppressed';
    }
    await deps.pacer.wait(sendSpacingMs(await deps.transport.maxSendRate(), deps.concurrency));
    messageId = await deps.transport.send(mail);
  } catch (error) {
    // Not sent: back to pending, so the retry (or another request of the group) claims it again.
    await job.settle(claimed, { status: 'released' }, deps.clock.now()).catch(() => undefined);
    throw error;
  }
  // Sent: a failure to record it now must not release the claim (that would mail twice).
  await job.settle(claimed, { status: 'sent', message_id: messageId }, deps.clock.now());
  deps.log.info('mail sent', { key, message_id: messageId, covers: claimed.covers });
  return 'sent';
}
