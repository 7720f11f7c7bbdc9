import * as z from 'zod/mini';
import { mailboxAdapters } from '#shared/mailboxes/runtime.ts';
import { pollAllMailboxes } from '#shared/mailboxes/use-cases.ts';
import { scheduledHandler } from '#shared/platform/consumers/events.ts';
import { logger } from '#shared/platform/observability.ts';
import { runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';

// EventBridge Scheduler target of a recurring schedule (rate(5 minutes), the stateless stack):
// polls the connected IMAP mailboxes, several at once, the least recently polled first, and
// starts none past POLL_START_BUDGET_MS (a run that cannot reach all leaves the rest first in
// line for the next), and logs their new mail of every folder but Trash, Junk and Drafts.
// A second delivery of one firing is harmless: checkpoints are conditional writes and each message is logged
// once per (owner, Message-ID). Its input is infra/functions.ts's MAILBOX_POLL_SCHEDULE.input.

// The sealing key's secret: a deployment without it fails here, at init, rather than storing
// "CURSOR_SECRET_ID is not set" as every mailbox's last_error.
requireEnv(RUNTIME_ENV.cursorSecret);
// The KMS key that seals and opens the credentials, likewise.
requireEnv(RUNTIME_ENV.credentialsKey);

/** Mailboxes polled at once: each is mostly waiting on its server. */
const POLL_CONCURRENCY = 8;
/**
 * No mailbox is started after this long (ms), leaving the rest of the 60 s timeout to the polls
 * under way. One cut by the timeout keeps its previous checkpoint, and the Message-ID markers
 * keep what it logged from logging twice next time.
 */
const POLL_START_BUDGET_MS = 25_000;

export const handler = scheduledHandler(
  { name: 'mailbox-poll', payload: z.object({ poll: z.literal('mailboxes') }) },
  async () => {
    const ctx = { actor_id: 'system', correlation_id: runtimeIds(), now: runtimeClock.now(), newId: runtimeIds };
    const outcomes = await pollAllMailboxes(mailboxAdapters(), ctx, {
      concurrency: POLL_CONCURRENCY,
      startBefore: Date.now() + POLL_START_BUDGET_MS,
    });
    const failed = outcomes.filter((o) => o.outcome === 'failed');
    logger.info('mailboxes polled', {
      mailboxes: outcomes.length,
      logged: outcomes.reduce((n, o) => n + o.logged, 0),
      failed: failed.map((o) => ({ mailbox_id: o.mailbox_id, error: o.error })),
    });
  },
);
