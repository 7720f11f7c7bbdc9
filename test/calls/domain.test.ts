import { describe, expect, it } from 'vitest';
import {
  connectCall,
  connectCallToDescribe,
  connectContactEventSchema,
  normalizePhone,
  recordPhones,
  twilioActivity,
  twilioSignature,
  verifyTwilioSignature,
} from '#shared/calls/domain.ts';

// Calls' pure parts: E.164 numbers, Twilio's request signature (checked against the worked
// examples of Twilio's "Validating requests" documentation), and calls from provider events.

describe('normalizePhone', () => {
  it('writes numbers in E.164, reading local ones in the default country', () => {
    expect(normalizePhone('(415) 555-0100', 'US')).toBe('+14155550100');
    expect(normalizePhone('+44 20 7946 0958')).toBe('+442079460958');
    expect(normalizePhone('020 7946 0958', 'GB')).toBe('+442079460958');
  });

  it('answers null for what is no phone number', () => {
    expect(normalizePhone('call me', 'US')).toBeNull();
    expect(normalizePhone('', 'US')).toBeNull();
    expect(normalizePhone(null)).toBeNull();
    expect(normalizePhone('555-0100')).toBeNull();
  });

  it("gives a record's numbers once each", () => {
    expect(recordPhones({ phone: '+1 415 555 0100', mobile: '(415) 555-0100' }, 'US')).toEqual(['+14155550100']);
    expect(recordPhones({ phone: null, mobile: '+33 1 23 45 67 89' })).toEqual(['+33123456789']);
  });
});

describe('Twilio request signatures', () => {
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = (caller: string) => ({
    CallSid: 'CA1234567890ABCDE',
    Caller: caller,
    Digits: '1234',
    From: caller,
    To: '+18005551212',
  });

  it("reproduces Twilio's documented examples", () => {
    expect(twilioSignature('12345', url, params('+12349013030'))).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
    expect(twilioSignature('12345', url, params('+14158675310'))).toBe('GvWf1cFY/Q7PnoempGyD5oXAezc=');
  });

  it('refuses another token, another URL, a changed parameter and a missing header', () => {
    const good = twilioSignature('12345', url, params('+14158675310'));
    expect(verifyTwilioSignature('12345', url, params('+14158675310'), good)).toBe(true);
    expect(verifyTwilioSignature('54321', url, params('+14158675310'), good)).toBe(false);
    expect(verifyTwilioSignature('12345', `${url}&baz=3`, params('+14158675310'), good)).toBe(false);
    expect(verifyTwilioSignature('12345', url, params('+14158675311'), good)).toBe(false);
    expect(verifyTwilioSignature('12345', url, params('+14158675310'), undefined)).toBe(false);
  });
});

describe('twilioActivity', () => {
  const now = new Date('2026-12-01T10:00:00Z');

  it('logs a finished inbound call from its status callback, the customer being From', () => {
    expect(
      twilioActivity(
        {
          CallSid: 'CA1',
          CallStatus: 'completed',
          Direction: 'inbound',
          From: '+14155550100',
          To: '+18005551212',
          CallDuration: '42',
        },
        now,
      ),
    ).toEqual({
      kind: 'call',
      external_id: 'CA1',
      phone_number: '+14155550100',
      incoming: true,
      missed: false,
      duration: 42,
      recording_url: null,
      made_at: now.toISOString(),
    });
  });

  it('marks an unanswered call missed, takes To on an outbound one, and skips calls still ringing', () => {
    expect(twilioActivity({ CallSid: 'CA2', CallStatus: 'no-answer', From: '+14155550100', To: '+1800' }, now)).toMatchObject({
      missed: true,
      duration: 0,
    });
    expect(
      twilioActivity(
        { CallSid: 'CA3', CallStatus: 'completed', Direction: 'outbound-api', From: '+18005551212', To: '+14155550100' },
        now,
      ),
    ).toMatchObject({ incoming: false, phone_number: '+14155550100' });
    expect(twilioActivity({ CallSid: 'CA4', CallStatus: 'ringing', From: '+14155550100' }, now)).toBeUndefined();
  });

  it('reads an incoming message as a text', () => {
    expect(twilioActivity({ MessageSid: 'SM1', From: '+14155550100', To: '+18005551212', Body: 'Call me back' }, now)).toEqual({
      kind: 'text',
      external_id: 'SM1',
      phone_number: '+14155550100',
      incoming: true,
      content: 'Call me back',
      sent_at: now.toISOString(),
    });
  });
});

describe('Amazon Connect contact events', () => {
  // The shape of Connect's "Amazon Connect Contact Event" (the contact events data model).
  const disconnected = {
    version: '0',
    id: '9b2d5c3a-1e5f-4c6b-8a3f-3e6c8d3b1f10',
    'detail-type': 'Amazon Connect Contact Event',
    source: 'aws.connect',
    account: '111122223333',
    time: '2026-12-01T10:05:00Z',
    region: 'us-east-1',
    resources: [
      'arn:aws:connect:us-east-1:111122223333:instance/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
      'arn:aws:connect:us-east-1:111122223333:instance/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111/contact/c1d2e3f4-5678-90ab-cdef-EXAMPLE22222',
    ],
    detail: {
      initiationTimestamp: '2026-12-01T10:00:00.000Z',
      disconnectTimestamp: '2026-12-01T10:04:30.000Z',
      contactId: 'c1d2e3f4-5678-90ab-cdef-EXAMPLE22222',
      channel: 'VOICE',
      instanceArn: 'arn:aws:connect:us-east-1:111122223333:instance/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
      initiationMethod: 'INBOUND',
      eventType: 'DISCONNECTED',
      agentInfo: {
        agentArn: 'arn:aws:connect:us-east-1:111122223333:instance/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111/agent/x',
        connectedToAgentTimestamp: '2026-12-01T10:00:20.000Z',
      },
      queueInfo: { queueType: 'STANDARD', queueArn: 'arn:aws:connect:us-east-1:111122223333:instance/x/queue/y' },
    },
  };
  const event = connectContactEventSchema.parse(disconnected);

  it('describes a disconnected voice contact only', () => {
    expect(connectCallToDescribe(event)).toEqual({
      contactId: 'c1d2e3f4-5678-90ab-cdef-EXAMPLE22222',
      instanceId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
    });
    const initiated = connectContactEventSchema.parse({
      ...disconnected,
      detail: { ...disconnected.detail, eventType: 'INITIATED' },
    });
    expect(connectCallToDescribe(initiated)).toBeUndefined();
    const chat = connectContactEventSchema.parse({ ...disconnected, detail: { ...disconnected.detail, channel: 'CHAT' } });
    expect(connectCallToDescribe(chat)).toBeUndefined();
  });

  it("makes the call from the event and DescribeContact's customer number", () => {
    expect(connectCall(event, { customerNumber: '+1 (415) 555-0100' })).toEqual({
      kind: 'call',
      external_id: 'c1d2e3f4-5678-90ab-cdef-EXAMPLE22222',
      phone_number: '+14155550100',
      incoming: true,
      missed: false,
      duration: 270,
      recording_url: null,
      made_at: '2026-12-01T10:00:00.000Z',
    });
    const { agentInfo: _, ...unanswered } = disconnected.detail;
    expect(
      connectCall(connectContactEventSchema.parse({ ...disconnected, detail: unanswered }), { customerNumber: null }),
    ).toMatchObject({ missed: true, phone_number: null });
  });
});
