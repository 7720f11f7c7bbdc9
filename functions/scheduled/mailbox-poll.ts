import * as z from 'zod/mini';
import { mailboxAdapters } from '#shared/mailboxes/runtime.ts';
import { pollAllMailboxes } from '#shared/mailboxes/use-cases.ts';
import { scheduledHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';
import { runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// EventBridge Scheduler target of a recurring schedule (rate(5 minutes), the stateless stack):
// polls every connected IMAP mailbox and logs its new INBOX and Sent mail. A second delivery
// of one firing is harmless: checkpoints are conditional writes and each message is logged
// once per (owner, Message-ID). Its input is infra/functions.ts's MAILBOX_POLL_SCHEDULE.input.

// The sealing key's secret: a deployment without it fails here, at init, rather than storing
// "CURSOR_SECRET_ID is not set" as every mailbox's last_error.
requireEnv(RUNTIME_ENV.cursorSecret);
// The KMS key that seals and opens the credentials, likewise.
requireEnv(RUNTIME_ENV.credentialsKey);

export const handler = scheduledHandler(
  { name: 'mailbox-poll', payload: z.object({ poll: z.literal('mailboxes') }) },
  async () => {
    const ctx = { actor_id: 'system', correlation_id: runtimeIds(), now: runtimeClock.now(), newId: runtimeIds };
    const outcomes = await pollAllMailboxes(mailboxAdapters(), ctx);
    const failed = outcomes.filter((o) => o.outcome === 'failed');
    logger.info('mailboxes polled', {
      mailboxes: outcomes.length,
      logged: outcomes.reduce((n, o) => n + o.logged, 0),
      failed: failed.map((o) => ({ mailbox_id: o.mailbox_id, error: o.error })),
    });
  },
);
