import { describe, expect, it } from 'vitest';
import { MailThrottledError, SendPacer, sendSpacingMs, type MailRequest, type OutgoingMail } from '#shared/mail/domain.ts';
import type { ClaimedMail, MailJob, MailSettlement, MailTransport } from '#shared/mail/ports.ts';
import { sendRequestedMail, type MailSenderDeps } from '#shared/mail/use-cases.ts';

// The mail-sender's pacing (concurrency × rate per worker ≤ MaxSendRate) and its use case:
// claim, suppression, send, settle; a throttled send goes back (released), never lost.

describe('sendSpacingMs', () => {
  it('spaces each worker so that all workers together stay within MaxSendRate', () => {
    expect(sendSpacingMs(14, 2)).toBe(143); // 2 workers × 7/s = 14/s
    expect(sendSpacingMs(1, 2)).toBe(2000); // the sandbox's 1/s, shared by 2
    expect(sendSpacingMs(50, 1)).toBe(20);
    for (const [rate, workers] of [
      [1, 2],
      [14, 2],
      [3, 5],
      [200, 7],
    ] as const) {
      expect(workers * (1000 / sendSpacingMs(rate, workers))).toBeLessThanOrEqual(rate);
    }
  });

  it('refuses a rate or concurrency that is not positive', () => {
    expect(() => sendSpacingMs(0, 2)).toThrow(/rate/);
    expect(() => sendSpacingMs(10, 0)).toThrow(/concurrency/);
  });
});

describe('SendPacer', () => {
  it('waits out the spacing between sends, and not for the first one', async () => {
    let now = 1_000;
    const slept: number[] = [];
    const pacer = new SendPacer(
      () => now,
      async (ms) => {
        slept.push(ms);
        now += ms;
      },
    );
    await pacer.wait(500);
    now += 100;
    await pacer.wait(500);
    await pacer.wait(500);
    now += 2_000;
    await pacer.wait(500);
    expect(slept).toEqual([400, 500]);
  });
});

const request: MailRequest = { type: 'notification_alert', recipient_id: 'u1', ref: 'g1', event_id: 'e1' };
const mail: OutgoingMail = { to: 'rep@example.com', subject: 's', text: 't', html: 'h', tags: {} };

function harness(options: { suppressed?: string; sendError?: Error; claimed?: ClaimedMail | undefined } = {}) {
  const settled: MailSettlement[] = [];
  const sent: OutgoingMail[] = [];
  const warnings: string[] = [];
  const job: MailJob = {
    claim: async () => ('claimed' in options ? options.claimed : { mail, covers: 1, handle: 'h' }),
    settle: async (_c, s) => void settled.push(s),
  };
  const transport: MailTransport = {
    maxSendRate: async () => 1000,
    suppression: async () => (options.suppressed ? { reason: options.suppressed } : undefined),
    send: async (m) => {
      if (options.sendError) throw options.sendError;
      sent.push(m);
      return 'ses-1';
    },
  };
  const deps: MailSenderDeps = {
    transport,
    jobs: { notification_alert: job, user_email: job, appointment_invitation: job },
    pacer: new SendPacer(Date.now, async () => undefined),
    concurrency: 2,
    clock: { now: () => new Date('2026-12-01T09:00:00Z') },
    log: { warn: (m) => void warnings.push(m), info: () => undefined },
  };
  return { deps, settled, sent, warnings };
}

describe('sendRequestedMail', () => {
  it('sends the claimed mail and records it sent with its SES message id', async () => {
    const h = harness();
    expect(await sendRequestedMail(h.deps, request)).toBe('sent');
    expect(h.sent).toEqual([mail]);
    expect(h.settled).toEqual([{ status: 'sent', message_id: 'ses-1' }]);
  });

  it('does nothing for a request already settled (a redelivery)', async () => {
    const h = harness({ claimed: undefined });
    expect(await sendRequestedMail(h.deps, request)).toBe('duplicate');
    expect(h.sent).toEqual([]);
    expect(h.settled).toEqual([]);
  });

  it('sends nothing to a suppressed address, and records and logs why', async () => {
    const h = harness({ suppressed: 'BOUNCE' });
    expect(await sendRequestedMail(h.deps, request)).toBe('suppressed');
    expect(h.sent).toEqual([]);
    expect(h.settled).toEqual([{ status: 'suppressed', reason: 'BOUNCE' }]);
    expect(h.warnings).toEqual([expect.stringMatching(/suppression list/)]);
  });

  it('releases the claim of a throttled send and throws, so the request goes back on the queue', async () => {
    const h = harness({ sendError: new MailThrottledError('slow down') });
    await expect(sendRequestedMail(h.deps, request)).rejects.toBeInstanceOf(MailThrottledError);
    expect(h.settled).toEqual([{ status: 'released' }]);
  });
});
