import { createHmac, timingSafeEqual } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import * as z from 'zod/mini';
import type { Principal } from '#shared/kernel/principal.ts';
import { idSchema, notEmpty } from '#shared/kernel/schema.ts';
import { canSee } from '#shared/kernel/visibility.ts';

// Calls and text messages (F2.4) with Zendesk Sell's fields, logged by hand or from a voice
// provider: Amazon Connect's contact events, or a Twilio-compatible webhook. Numbers are kept
// in E.164, so a number typed "(415) 555-0100" on a contact matches "+14155550100" on a call.
// This file holds the pure parts: normalisation, the webhook signature, and what a provider's
// event says about a call.

/**
 * A number in E.164 ("+14155550100"), or null when it is no possible phone number. Numbers
 * written without a country code are read in `defaultCountry` (the account's country).
 */
export function normalizePhone(raw: string | null | undefined, defaultCountry?: string): string | null {
  if (!raw) return null;
  const parsed = parsePhoneNumberFromString(raw, defaultCountry as CountryCode | undefined);
  return parsed?.isPossible() ? parsed.number : null;
}

/** The E.164 numbers of a lead or contact (phone and mobile), without repeats. */
export function recordPhones(record: { phone?: string | null; mobile?: string | null }, defaultCountry?: string): string[] {
  const numbers = [normalizePhone(record.phone, defaultCountry), normalizePhone(record.mobile, defaultCountry)];
  return [...new Set(numbers.filter((n): n is string => n !== null))];
}

// --- Twilio-compatible webhooks -------------------------------------------------------------

/**
 * Twilio's request signature (X-Twilio-Signature): base64 of HMAC-SHA1, keyed with the auth
 * token, over the full URL Twilio called followed by each POST parameter's name and value,
 * names sorted (code-unit order, as Twilio's own libraries sort).
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, name) => acc + name + params[name], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** Whether the header is the request's signature (constant-time); false when absent. */
export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string>,
  header: string | undefined,
): boolean {
  if (!header) return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** What a Twilio-style webhook tells: a call's status callback or an incoming message. */
export type ProviderActivity =
  | {
      kind: 'call';
      external_id: string;
      phone_number: string | null;
      incoming: boolean;
      missed: boolean;
      duration: number;
      recording_url: string | null;
      made_at: string;
    }
  | { kind: 'text'; external_id: string; phone_number: string | null; incoming: boolean; content: string; sent_at: string };

/**
 * A Twilio-style webhook's form parameters as a call (CallSid: a status callback; the customer
 * is From on an inbound call, To on an outbound one) or a text (MessageSid, Body). Undefined
 * for a call not finished yet (only final statuses are logged) or parameters of neither kind.
 */
export function twilioActivity(params: Record<string, string>, now: Date, defaultCountry?: string): ProviderActivity | undefined {
  const incoming = !(params.Direction ?? 'inbound').startsWith('outbound');
  const customer = incoming ? params.From : params.To;
  if (params.MessageSid && params.Body !== undefined) {
    return {
      kind: 'text',
      external_id: params.MessageSid,
      phone_number: normalizePhone(customer, defaultCountry),
      incoming,
      content: params.Body,
      sent_at: now.toISOString(),
    };
  }
  if (!params.CallSid) return undefined;
  const status = params.CallStatus ?? '';
  if (!['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(status)) return undefined;
  const duration = Number.parseInt(params.CallDuration ?? '0', 10);
  return {
    kind: 'call',
    external_id: params.CallSid,
    phone_number: normalizePhone(customer, defaultCountry),
    incoming,
    missed: status !== 'completed',
    duration: Number.isFinite(duration) && duration > 0 ? duration : 0,
    recording_url: params.RecordingUrl?.startsWith('https://') ? params.RecordingUrl : null,
    made_at: now.toISOString(),
  };
}

// --- Amazon Connect contact events ----------------------------------------------------------

/** An Amazon Connect instance's ARN: arn:<partition>:connect:<region>:<account>:instance/<instance id>. */
export const CONNECT_INSTANCE_ARN = /^arn:aws[a-z-]*:connect:[a-z]{2}(-[a-z]+)+-\d:\d{12}:instance\/[0-9a-f-]{36}$/;

/** Where and as what Connect publishes contact events: the account's default bus, in the instance's region. */
export const CONNECT_CONTACT_EVENT = { source: 'aws.connect', detailType: 'Amazon Connect Contact Event' } as const;

/** The instance id of an instance ARN (its last path segment). */
export function connectInstanceId(instanceArn: string): string {
  return instanceArn.slice(instanceArn.lastIndexOf('/') + 1);
}

/**
 * The parts of an "Amazon Connect Contact Event" the consumer reads. Loose: Connect adds fields
 * (and its documented samples spell some, such as AgentInfo, in another case), and
 * DescribeContact, not the event, is what a call is made from.
 */
export const connectContactEventSchema = z.looseObject({
  'detail-type': z.literal(CONNECT_CONTACT_EVENT.detailType),
  source: z.literal(CONNECT_CONTACT_EVENT.source),
  detail: z.looseObject({
    eventType: z.string(),
    contactId: z.string(),
    channel: z.string(),
    instanceArn: z.string(),
  }),
});
export type ConnectContactEvent = z.output<typeof connectContactEventSchema>;

/** What DescribeContact tells of a contact (timestamps ISO 8601; the customer's number as Connect has it). */
export interface ConnectContactDetails {
  /** VOICE, CHAT, TASK, EMAIL. */
  channel: string;
  /** INBOUND, OUTBOUND, TRANSFER, QUEUE_TRANSFER, CALLBACK, API... */
  initiationMethod: string;
  initiationTimestamp?: string | undefined;
  disconnectTimestamp?: string | undefined;
  /** Set once an agent took the contact. */
  connectedToAgentTimestamp?: string | undefined;
  /** The Connect user (agent) who took it: AgentInfo.Id. */
  agentId?: string | undefined;
  /** CustomerEndpoint.Address of a TELEPHONE_NUMBER endpoint. */
  customerNumber: string | null;
}

/** The contact id and instance of a DISCONNECTED voice contact: the one event a call is logged from. */
export function connectCallToDescribe(event: ConnectContactEvent): { contactId: string; instanceId: string } | undefined {
  const { detail } = event;
  // Connect's data model says VOICE; its documented samples say "Voice".
  if (detail.eventType !== 'DISCONNECTED' || detail.channel.toUpperCase() !== 'VOICE') return undefined;
  const instanceId = connectInstanceId(detail.instanceArn);
  return instanceId ? { contactId: detail.contactId, instanceId } : undefined;
}

/** Connect's initiation methods of a call the customer placed (the rest: Connect dialled out). */
const CONNECT_INBOUND: readonly string[] = ['INBOUND', 'TRANSFER', 'QUEUE_TRANSFER'];

/**
 * A finished Connect voice contact, as DescribeContact tells it, as a call: inbound unless
 * Connect placed it (OUTBOUND, CALLBACK, API...); missed when no agent ever took it; its
 * duration from initiation to disconnection, in whole seconds; made at its initiation (`now`
 * when Connect gives no timestamp). Undefined for a contact of another channel.
 */
export function connectCall(
  contactId: string,
  contact: ConnectContactDetails,
  now: Date,
  defaultCountry?: string,
): ProviderActivity | undefined {
  if (contact.channel.toUpperCase() !== 'VOICE') return undefined;
  const initiated = contact.initiationTimestamp;
  const disconnected = contact.disconnectTimestamp;
  const seconds = initiated && disconnected ? Math.round((Date.parse(disconnected) - Date.parse(initiated)) / 1000) : 0;
  const madeAt = initiated ?? disconnected;
  return {
    kind: 'call',
    external_id: contactId,
    phone_number: normalizePhone(contact.customerNumber, defaultCountry),
    incoming: CONNECT_INBOUND.includes(contact.initiationMethod.toUpperCase()),
    missed: contact.connectedToAgentTimestamp === undefined,
    duration: Number.isFinite(seconds) && seconds > 0 ? seconds : 0,
    recording_url: null,
    made_at: madeAt && Number.isFinite(Date.parse(madeAt)) ? new Date(madeAt).toISOString() : now.toISOString(),
  };
}

// --- calls as Sell shows them ---------------------------------------------------------------

export const CALL_RESOURCE_TYPES = ['lead', 'contact'] as const;
export const CALL_SOURCES = ['manual', 'connect', 'twilio'] as const;

/** A call with Sell's fields (calls: user_id, phone_number, duration in seconds, incoming, missed...). */
export const callSchema = z.object({
  id: z.string(),
  /** The user who made or took it (the matched record's owner for a provider's call); null while unmatched. */
  user_id: z.nullable(z.string()),
  /** E.164. */
  phone_number: z.nullable(z.string()),
  duration: z.int(),
  incoming: z.boolean(),
  missed: z.boolean(),
  outcome_id: z.nullable(z.string()),
  summary: z.nullable(z.string()),
  recording_url: z.nullable(z.string()),
  resource_type: z.nullable(z.enum(CALL_RESOURCE_TYPES)),
  resource_id: z.nullable(z.string()),
  associated_deal_ids: z.array(z.string()),
  made_at: z.string(),
  /** The call's id in the provider (Connect's contact id, Twilio's CallSid). */
  external_id: z.nullable(z.string()),
  source: z.enum(CALL_SOURCES),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type CallRecord = z.output<typeof callSchema>;

/** Sell's `resource_type` of a call or text: a lead or a contact (deals ride in associated_deal_ids). */
export const callResourceTypeSchema = z.enum(CALL_RESOURCE_TYPES);
export type CallResourceType = (typeof CALL_RESOURCE_TYPES)[number];

/** A call's or text's linked deals: at most this many. */
export const ASSOCIATED_DEALS_MAX = 10;
export const SUMMARY_MAX = 10_000;
export const TEXT_CONTENT_MAX = 1_600;

/** A number as typed, kept in E.164 (422 when it is no possible number in international form). */
const phoneInput = z.string().check(
  z.maxLength(50),
  z.refine((v) => normalizePhone(v) !== null, 'must be a phone number with its country code, e.g. +14155550100'),
);
const recordingUrl = z.string().check(
  z.maxLength(2_000),
  z.refine((v) => v.startsWith('https://') && URL.canParse(v), 'must be an https URL'),
);
const dealIds = z.array(idSchema).check(z.maxLength(ASSOCIATED_DEALS_MAX));
const instant = z.iso.datetime({ offset: true });

const callLinkFields = {
  resource_type: z.optional(z.nullable(callResourceTypeSchema)),
  resource_id: z.optional(z.nullable(idSchema)),
  associated_deal_ids: z.optional(dealIds),
};

/** POST /calls: a call logged by hand, by its user (the caller). */
export const createCallInput = z.strictObject({
  phone_number: phoneInput,
  duration: z.optional(z.int().check(z.minimum(0), z.maximum(86_400))),
  incoming: z.boolean(),
  missed: z.optional(z.boolean()),
  outcome_id: z.optional(z.nullable(idSchema)),
  summary: z.optional(z.nullable(z.string().check(z.maxLength(SUMMARY_MAX)))),
  recording_url: z.optional(z.nullable(recordingUrl)),
  made_at: z.optional(instant),
  ...callLinkFields,
});
export type CreateCallInput = z.output<typeof createCallInput>;

/** PATCH /calls/{id}: the call's notes and links (linking an unmatched call to a lead or contact). */
export const updateCallInput = z
  .strictObject({
    outcome_id: z.optional(z.nullable(idSchema)),
    summary: z.optional(z.nullable(z.string().check(z.maxLength(SUMMARY_MAX)))),
    missed: z.optional(z.boolean()),
    duration: z.optional(z.int().check(z.minimum(0), z.maximum(86_400))),
    recording_url: z.optional(z.nullable(recordingUrl)),
    ...callLinkFields,
  })
  .check(notEmpty);
export type UpdateCallInput = z.output<typeof updateCallInput>;

/** A text message with Sell's fields (read-only in Sell; logged here by hand or by a provider). */
export const textMessageSchema = z.object({
  id: z.string(),
  user_id: z.nullable(z.string()),
  content: z.string(),
  incoming: z.boolean(),
  resource_type: z.nullable(z.enum(CALL_RESOURCE_TYPES)),
  resource_id: z.nullable(z.string()),
  /** E.164: the lead's or contact's side. */
  resource_phone_number: z.nullable(z.string()),
  user_phone_number: z.nullable(z.string()),
  associated_deal_ids: z.array(z.string()),
  sent_at: z.string(),
  external_id: z.nullable(z.string()),
  source: z.enum(CALL_SOURCES),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type TextMessage = z.output<typeof textMessageSchema>;

/** POST /text_messages: a text logged by hand. */
export const createTextMessageInput = z.strictObject({
  content: z.string().check(z.minLength(1), z.maxLength(TEXT_CONTENT_MAX)),
  incoming: z.boolean(),
  resource_phone_number: phoneInput,
  sent_at: z.optional(instant),
  ...callLinkFields,
});
export type CreateTextMessageInput = z.output<typeof createTextMessageInput>;

/** What a call or text links to: a lead or contact (or nothing: unmatched) and deals. */
export interface CallLink {
  resource_type: CallResourceType | null;
  resource_id: string | null;
  associated_deal_ids: string[];
}

/**
 * A request's link fields read together: resource_type and resource_id come as a pair (both
 * set, or both null to unlink); `current` is kept for what the request leaves out. Throws
 * nothing; answers the field to blame when the pair is half given.
 */
export function linkOf(
  input: { resource_type?: CallResourceType | null; resource_id?: string | null; associated_deal_ids?: string[] },
  current: CallLink,
): CallLink | { invalid: 'resource_type' | 'resource_id' } {
  const typeGiven = input.resource_type !== undefined;
  const idGiven = input.resource_id !== undefined;
  let resource_type = current.resource_type;
  let resource_id = current.resource_id;
  if (typeGiven || idGiven) {
    if (!typeGiven) return { invalid: 'resource_type' };
    if (!idGiven) return { invalid: 'resource_id' };
    if ((input.resource_type === null) !== (input.resource_id === null)) {
      return { invalid: input.resource_type === null ? 'resource_type' : 'resource_id' };
    }
    resource_type = input.resource_type ?? null;
    resource_id = input.resource_id ?? null;
  }
  const deals = input.associated_deal_ids ?? current.associated_deal_ids;
  return { resource_type, resource_id, associated_deal_ids: [...new Set(deals)] };
}

/**
 * Who sees a call or text, given the owner of its lead or contact (undefined: none or unknown)
 * and which of its deals the caller sees: its user always; anyone who sees the linked record or
 * one of its deals; an unmatched one with no user (a provider's call from an unknown number)
 * admins only, who link it.
 */
export function canSeeCall(
  principal: Principal,
  call: { user_id: string | null },
  recordOwner: string | undefined,
  seesADeal: boolean,
): boolean {
  if (call.user_id !== null && call.user_id === principal.user_id) return true;
  if (recordOwner !== undefined && canSee(principal, recordOwner)) return true;
  if (seesADeal) return true;
  return call.user_id === null && principal.role === 'admin';
}
