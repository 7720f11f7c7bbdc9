import * as z from 'zod/mini';
import { mailboxAdapters } from '#shared/mailboxes/runtime.ts';
import { fileSentCopy } from '#shared/mailboxes/use-cases.ts';
import { eventHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';
import { runtimeClock } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// Bus rule target: email.sent (SES took a message a user sent from the CRM) → a copy in the
// Sent folder of the sender's connected mailbox. Here rather than in the mail-sender: an IMAP
// login takes seconds and a user's server may be down, and neither may slow or fail the sends;
// a failure here is retried by the bus's asynchronous invocation and then parked in this
// function's on-failure queue (redrivable). The consumer's markers hold back a concurrent
// second delivery while the first runs; after a crash mid-way the use case is idempotent
// (Message-ID marker first, SEARCH before APPEND), so a redelivery files nothing twice.

// The keys that open credentials (KMS, and the cursor secret for values sealed before it): a
// deployment without them fails at init, not on every event.
requireEnv(RUNTIME_ENV.cursorSecret);
const deps = mailboxAdapters();

export const handler = eventHandler(
  { name: 'mailbox-sent-copy', data: z.object({ id: z.string().check(z.minLength(1)) }) },
  async (event) => {
    const outcome = await fileSentCopy(deps, event.data.id, runtimeClock.now());
    logger.info('sent copy', { ...outcome });
  },
);
