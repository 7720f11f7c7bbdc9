import { describe, expect, it } from 'vitest';
import {
  forwardingAddress,
  inboundTargetOf,
  isAutomatedFetch,
  replyTokenAddress,
  replyTokenOf,
  sendEmailInput,
  sesEffect,
  sesHeaderMessageId,
  splitName,
  threadCandidates,
  userSendingAddress,
} from '#shared/emails/domain.ts';

// E-mail's pure rules: the sending address, the Reply-To token, the header SES puts on the
// wire, names from headers, the input's cross-field checks, and what each SES event does.

describe('addresses', () => {
  it("sends as the user's own address on the domain, else as its local part at the domain", () => {
    expect(userSendingAddress('Rep1@Example.com', 'example.com')).toBe('rep1@example.com');
    expect(userSendingAddress('marta@gmail.example', 'example.com')).toBe('marta@example.com');
  });

  it('routes replies through a token of the inbound domain, and reads it back only from that domain', () => {
    const address = replyTokenAddress('abc123', 'in.example.com');
    expect(address).toBe('reply+abc123@in.example.com');
    expect(replyTokenOf('Reply+ABC123@IN.example.com', 'in.example.com')).toBe('abc123');
    expect(replyTokenOf('reply+abc123@example.com', 'in.example.com')).toBeUndefined();
  });

  it('reads Reply-To and forwarding tokens of the inbound domain only, in any case', () => {
    expect(inboundTargetOf('Reply+AB12@In.Example.com', 'in.example.com')).toEqual({ kind: 'reply', token: 'ab12' });
    expect(inboundTargetOf(forwardingAddress('cd34', 'in.example.com'), 'in.example.com')).toEqual({
      kind: 'forward',
      token: 'cd34',
    });
    expect(inboundTargetOf('log+cd34@example.com', 'in.example.com')).toBeUndefined();
    expect(inboundTargetOf('rep1@in.example.com', 'in.example.com')).toBeUndefined();
  });

  it('threads by In-Reply-To first, then References from the newest', () => {
    expect(threadCandidates({ in_reply_to: '<c>', references: ['<a>', '<b>', '<c>'] })).toEqual(['<c>', '<b>', '<a>']);
    expect(threadCandidates({ in_reply_to: null, references: [] })).toEqual([]);
  });

  it("gives SES's Message-ID header in the exact form replies quote (us-east-1 says email)", () => {
    expect(sesHeaderMessageId('0100abc-1-000000', 'eu-west-1')).toBe('<0100abc-1-000000@eu-west-1.amazonses.com>');
    expect(sesHeaderMessageId('0100abc-1-000000', 'us-east-1')).toBe('<0100abc-1-000000@email.amazonses.com>');
  });

  it('splits a display name into first names and last name; no name: the local part', () => {
    expect(splitName('"Núria Ferrer"', 'n@x.example')).toEqual({ first_name: 'Núria', last_name: 'Ferrer' });
    expect(splitName('Pere', 'p@x.example')).toEqual({ first_name: null, last_name: 'Pere' });
    expect(splitName(null, 'jordi.vila@x.example')).toEqual({ first_name: null, last_name: 'jordi.vila' });
  });
});

describe('sendEmailInput', () => {
  it('wants a body, a record given whole, and at most 50 recipients in all', () => {
    const base = { to: ['a@x.example'], subject: 's' };
    expect(sendEmailInput.safeParse({ ...base, text: 'hi' }).success).toBe(true);
    expect(sendEmailInput.safeParse({ ...base, text: ' ' }).success).toBe(false);
    expect(sendEmailInput.safeParse({ ...base, html: '<p>x</p>', resource_type: 'lead' }).success).toBe(false);
    const many = Array.from({ length: 30 }, (_, i) => `r${i}@x.example`);
    expect(sendEmailInput.safeParse({ ...base, text: 'x', cc: many, bcc: many }).success).toBe(false);
    expect(sendEmailInput.safeParse({ ...base, to: ['not an address'], text: 'x' }).success).toBe(false);
  });
});

describe('sesEffect', () => {
  const mail = { messageId: 'm', tags: { crm_message_id: ['e1'] } };
  it('counts opens and clicks, flagging link scanners and headless fetchers', () => {
    expect(sesEffect({ eventType: 'Open', mail, open: { timestamp: 't1', userAgent: 'Mozilla/5.0 (iPhone)' } }, 't0')).toEqual({
      kind: 'open',
      at: 't1',
      automated: false,
    });
    expect(isAutomatedFetch('Mozilla/5.0 (compatible; Barracuda Sentinel)')).toBe(true);
    expect(isAutomatedFetch('Mozilla/5.0 HeadlessChrome/120')).toBe(true);
    expect(isAutomatedFetch(undefined)).toBe(false);
  });

  it('marks addresses only for permanent bounces and complaints, normalised', () => {
    const bounce = (bounceType: string) =>
      sesEffect(
        { eventType: 'Bounce', mail, bounce: { bounceType, bouncedRecipients: [{ emailAddress: 'A@X.example' }] } },
        't0',
      );
    expect(bounce('Permanent')).toEqual({ kind: 'bounced', at: 't0', addresses: ['a@x.example'] });
    expect(bounce('Transient')).toEqual({ kind: 'none' });
    expect(
      sesEffect({ eventType: 'Complaint', mail, complaint: { complainedRecipients: [{ emailAddress: 'B@x.example' }] } }, 't0'),
    ).toEqual({ kind: 'complained', at: 't0', addresses: ['b@x.example'] });
    expect(sesEffect({ eventType: 'Send', mail }, 't0')).toEqual({ kind: 'none' });
  });
});
