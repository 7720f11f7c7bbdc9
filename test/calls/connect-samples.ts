import { parseConfig } from '#infra/config/load.ts';
import type { CrmConfig } from '#infra/config/schema.ts';
import { localConnectInstanceArn } from '#infra/local/connect.ts';
import { LOCAL_ACCOUNT_ID } from '#infra/local/environment.ts';

// Amazon Connect's documented samples, as AWS publishes them, for the contact events consumer.

/**
 * "Sample contact event for when a voice call is disconnected" (Amazon Connect Administrator
 * Guide, contact events), as published: note "Voice" and "AgentInfo"/"AgentArn" in that case,
 * and the sample's own instance ARN (with its empty partition field).
 */
export const CONNECT_DISCONNECTED_SAMPLE = {
  version: '0',
  id: 'abcabcab-abca-abca-abca-abcabcabcabc',
  'detail-type': 'Amazon Connect Contact Event',
  source: 'aws.connect',
  account: '111122223333',
  time: '2021-08-04T17:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:...', 'contactArn', 'instanceArn'],
  detail: {
    eventType: 'DISCONNECTED',
    contactId: '11111111-1111-1111-1111-111111111111',
    initialContactId: '11111111-2222-3333-4444-555555555555',
    previousContactId: '11111111-2222-3333-4444-555555555555',
    channel: 'Voice',
    instanceArn: 'arn:aws::connect:us-west-2:123456789012:instance/12345678-1234-1234-1234-123456789012',
    initiationMethod: 'OUTBOUND',
    initiationTimestamp: '2021-08-04T17:17:53.000Z',
    connectedToSystemTimestamp: '2021-08-04T17:17:55.000Z',
    disconnectTimestamp: '2021-08-04T17:18:37.000Z',
    queueInfo: { queueArn: 'arn', queueType: 'type', enqueueTimestamp: '2021-08-04T17:29:04.000Z' },
    AgentInfo: { AgentArn: 'arn', connectedToAgentTimestamp: '2021-08-04T17:29:09.000Z' },
    CustomerVoiceActivity: {
      greetingStartTimestamp: '2021-08-04T17:29:20.000Z',
      greetingEndTimestamp: '2021-08-04T17:29:22.000Z',
    },
  },
};

/** The sample's event for another contact of `instanceArn` (what the local cloud's tests put on the default bus). */
export function disconnectedEvent(instanceArn: string, contactId: string, eventType = 'DISCONNECTED') {
  const contactArn = `${instanceArn}/contact/${contactId}`;
  return {
    ...CONNECT_DISCONNECTED_SAMPLE,
    resources: [instanceArn, contactArn],
    detail: { ...CONNECT_DISCONNECTED_SAMPLE.detail, eventType, contactId, instanceArn, initialContactId: contactId },
  };
}

/**
 * DescribeContact's answer (REST JSON, timestamps in epoch seconds) for an inbound voice call
 * from `customerNumber`, taken by `agentId` (or by nobody: a missed call).
 */
export function describedContact(options: {
  instanceArn: string;
  contactId: string;
  customerNumber: string;
  agentId?: string;
  initiationMethod?: string;
  /** Epoch seconds. */
  initiated?: number;
  seconds?: number;
}) {
  const initiated = options.initiated ?? 1_764_583_200; // 2025-12-01T10:00:00Z
  return {
    Contact: {
      Arn: `${options.instanceArn}/contact/${options.contactId}`,
      Id: options.contactId,
      InitialContactId: options.contactId,
      Channel: 'VOICE',
      InitiationMethod: options.initiationMethod ?? 'INBOUND',
      InitiationTimestamp: initiated,
      DisconnectTimestamp: initiated + (options.seconds ?? 95),
      LastUpdateTimestamp: initiated + (options.seconds ?? 95),
      QueueInfo: { Id: 'a1b2c3d4-5678-90ab-cdef-11111EXAMPLE', EnqueueTimestamp: initiated + 5 },
      ...(options.agentId ? { AgentInfo: { Id: options.agentId, ConnectedToAgentTimestamp: initiated + 12 } } : {}),
      CustomerEndpoint: { Type: 'TELEPHONE_NUMBER', Address: options.customerNumber },
      SystemEndpoint: { Type: 'TELEPHONE_NUMBER', Address: '+18005551212' },
    },
  };
}

/** `config` with the local Connect instance (infra/local/connect.ts) configured, and these agents. */
export function withLocalConnect(config: CrmConfig, agents: Record<string, string> = {}): CrmConfig {
  return parseConfig({
    ...config,
    connect: { instance_arn: localConnectInstanceArn({ accountId: LOCAL_ACCOUNT_ID, region: config.region }), agents },
  });
}
