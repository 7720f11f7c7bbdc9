import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type { CallRecord, CallResourceType, ConnectContactDetails, TextMessage } from './domain.ts';

/** Which calls (or texts) a list reads: one partition each, newest first. */
export type CallListQuery =
  | { by: 'user'; id: string }
  /** Unmatched ones of a user; `id` null: a provider's ones nobody took yet. */
  | { by: 'unmatched'; id: string | null }
  | { by: CallResourceType | 'deal'; id: string };

/** Which texts a list reads (no deal lists: Sell filters texts by resource only). */
export type TextListQuery =
  { by: 'user'; id: string } | { by: 'unmatched'; id: string | null } | { by: CallResourceType; id: string };

export interface CallRepository {
  get(id: string): Promise<CallRecord | undefined>;
  /** Writes the call and its events; ConflictError (call.duplicate) when its external id was logged already. */
  create(call: CallRecord, events: DomainEvent[]): Promise<void>;
  /** The call a provider's id was logged as. */
  byExternalId(source: CallRecord['source'], externalId: string): Promise<CallRecord | undefined>;
  /** Conditional on `before.version` (VersionMismatchError otherwise). */
  update(before: CallRecord, after: CallRecord, events: DomainEvent[]): Promise<void>;
  delete(call: CallRecord, events: DomainEvent[]): Promise<void>;
  /** One page of one list, newest made_at first: one Query. */
  list(query: CallListQuery, page: PageQuery): Promise<Page<CallRecord>>;
}

export interface TextMessageRepository {
  get(id: string): Promise<TextMessage | undefined>;
  /** As CallRepository.create. */
  create(text: TextMessage, events: DomainEvent[]): Promise<void>;
  byExternalId(source: TextMessage['source'], externalId: string): Promise<TextMessage | undefined>;
  update(before: TextMessage, after: TextMessage, events: DomainEvent[]): Promise<void>;
  /** One page, newest first (by id); no deal lists for texts. */
  list(query: TextListQuery, page: PageQuery): Promise<Page<TextMessage>>;
}

/** A lead or contact a number belongs to. */
export interface PhoneMatch {
  resource_type: CallResourceType;
  resource_id: string;
  owner_id: string;
}

export interface PhoneIndex {
  /** The leads and contacts holding this E.164 number (contacts first): one Query. */
  match(e164: string): Promise<PhoneMatch[]>;
}

/** Whether a call outcome exists (an entry of the call_outcome list, not deleted). */
export interface CallOutcomes {
  exists(id: string): Promise<boolean>;
}

/** Amazon Connect's DescribeContact, for the contacts of one instance. */
export interface ConnectContacts {
  /** The contact as Connect tells it; undefined when Connect knows no such contact (ResourceNotFound). */
  describe(instanceId: string, contactId: string): Promise<ConnectContactDetails | undefined>;
}

/** Which CRM user a Connect agent (a Connect user's id) is. */
export interface ConnectAgents {
  /** The user's id, or undefined when the agent is mapped to nobody (or to no known user). */
  userOf(agentId: string): Promise<string | undefined>;
}
