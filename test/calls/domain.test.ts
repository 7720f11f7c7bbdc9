import { describe, expect, it } from 'vitest';
import {
  CONNECT_INSTANCE_ARN,
  connectCall,
  connectCallToDescribe,
  connectContactEventSchema,
  normalizePhone,
  recordPhones,
  twilioActivity,
  twilioSignature,
  verifyTwilioSignature,
} from '#shared/calls/domain.ts';
import { CONNECT_DISCONNECTED_SAMPLE } from './connect-samples.ts';

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
  // AWS's documented sample of a disconnected voice call, as published.
  const event = connectContactEventSchema.parse(CONNECT_DISCONNECTED_SAMPLE);

  it("reads AWS's documented sample and describes a disconnected voice contact only", () => {
    expect(connectCallToDescribe(event)).toEqual({
      contactId: '11111111-1111-1111-1111-111111111111',
      instanceId: '12345678-1234-1234-1234-123456789012',
    });
    const detail = CONNECT_DISCONNECTED_SAMPLE.detail;
    const connected = connectContactEventSchema.parse({
      ...CONNECT_DISCONNECTED_SAMPLE,
      detail: { ...detail, eventType: 'CONNECTED_TO_AGENT' },
    });
    expect(connectCallToDescribe(connected)).toBeUndefined();
    const chat = connectContactEventSchema.parse({ ...CONNECT_DISCONNECTED_SAMPLE, detail: { ...detail, channel: 'CHAT' } });
    expect(connectCallToDescribe(chat)).toBeUndefined();
    expect(() => connectContactEventSchema.parse({ ...CONNECT_DISCONNECTED_SAMPLE, source: 'aws.s3' })).toThrow();
  });

  it("makes the call from DescribeContact: direction, duration, the customer's number in E.164, missed without an agent", () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const contact = {
      channel: 'VOICE',
      initiationMethod: 'INBOUND',
      initiationTimestamp: '2026-12-01T10:00:00.000Z',
      disconnectTimestamp: '2026-12-01T10:04:30.000Z',
      connectedToAgentTimestamp: '2026-12-01T10:00:20.000Z',
      agentId: 'a1b2c3d4-5678-90ab-cdef-11111EXAMPLE',
      customerNumber: '+1 (415) 555-0100',
    };
    expect(connectCall('c1', contact, now)).toEqual({
      kind: 'call',
      external_id: 'c1',
      phone_number: '+14155550100',
      incoming: true,
      missed: false,
      duration: 270,
      recording_url: null,
      made_at: '2026-12-01T10:00:00.000Z',
    });
    for (const [method, incoming] of [
      ['OUTBOUND', false],
      ['CALLBACK', false],
      ['API', false],
      ['TRANSFER', true],
      ['QUEUE_TRANSFER', true],
    ] as const) {
      expect(connectCall('c1', { ...contact, initiationMethod: method }, now)?.incoming, method).toBe(incoming);
    }
    const { connectedToAgentTimestamp: _, agentId: __, ...unanswered } = contact;
    expect(connectCall('c2', { ...unanswered, customerNumber: null }, now)).toMatchObject({ missed: true, phone_number: null });
    expect(connectCall('c3', { ...contact, channel: 'CHAT' }, now)).toBeUndefined();
    // No timestamps: made now, no duration.
    expect(connectCall('c4', { channel: 'VOICE', initiationMethod: 'INBOUND', customerNumber: null }, now)).toMatchObject({
      duration: 0,
      made_at: now.toISOString(),
    });
  });

  it('takes instance ARNs of the configured form only', () => {
    expect(
      CONNECT_INSTANCE_ARN.test('arn:aws:connect:eu-west-1:111122223333:instance/12345678-1234-1234-1234-123456789012'),
    ).toBe(true);
    expect(CONNECT_INSTANCE_ARN.test('arn:aws:connect:eu-west-1:111122223333:instance/*')).toBe(false);
    expect(
      CONNECT_INSTANCE_ARN.test('arn:aws:connect:eu-west-1:111122223333:instance/12345678-1234-1234-1234-123456789012/contact/x'),
    ).toBe(false);
  });
});
