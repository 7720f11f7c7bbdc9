import { ForbiddenError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import { domainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';
import { visibleRecordOwner, type RecordOwners } from '#shared/kernel/record-owners.ts';
import { recordRefKey, type RecordRef } from '#shared/kernel/related-records.ts';
import { canChange, canSee } from '#shared/kernel/visibility.ts';
import { checkIfMatch, updateVersioned } from '#shared/kernel/versioned-update.ts';
import {
  canSeeCall,
  linkOf,
  normalizePhone,
  type CallLink,
  type CallRecord,
  type CreateCallInput,
  type CreateTextMessageInput,
  type ProviderActivity,
  type TextMessage,
  type UpdateCallInput,
} from './domain.ts';
import type { CallListQuery, CallOutcomes, CallRepository, PhoneIndex, TextMessageRepository } from './ports.ts';

// Calls and text messages (F2.4). Logged by hand (the caller is the call's user), or from a
// voice provider (Amazon Connect, a Twilio-compatible webhook): the customer's number is
// matched to a lead or contact through the phone index, the call is logged on it with its
// owner as the call's user (who is notified of an incoming one), and an unmatched one is kept,
// without user, for an admin to link.
//
// Visibility (domain.ts canSeeCall): a call's user, whoever sees its lead, contact or one of
// its deals; an unmatched one without user, admins. A call is changed by its user or by whoever
// may change its lead or contact; linking it to a record needs that record to be visible.

export interface CallsDeps {
  calls: CallRepository;
  texts: TextMessageRepository;
  records: RecordOwners;
  outcomes: CallOutcomes;
}

export interface ProviderDeps extends Pick<CallsDeps, 'calls' | 'texts'> {
  phones: PhoneIndex;
}

const callResource = (call: CallRecord) => ({ resource_type: 'call', resource_id: call.id });
const textResource = (text: TextMessage) => ({ resource_type: 'text_message', resource_id: text.id });
const refOf = (link: CallLink): RecordRef | null =>
  link.resource_type && link.resource_id ? { resource_type: link.resource_type, resource_id: link.resource_id } : null;

/** The owner of the call's lead or contact, and whether the caller sees one of its deals. */
async function visibility(deps: Pick<CallsDeps, 'records'>, call: Call, link: CallLink) {
  const ref = refOf(link);
  const dealRefs: RecordRef[] = link.associated_deal_ids.map((id) => ({ resource_type: 'deal', resource_id: id }));
  const owners = await deps.records.ownersOf(ref ? [ref, ...dealRefs] : dealRefs);
  const recordOwner = ref ? owners.get(recordRefKey(ref)) : undefined;
  const seesADeal = dealRefs.some((d) => {
    const owner = owners.get(recordRefKey(d));
    return owner !== undefined && canSee(call.principal, owner);
  });
  return { recordOwner, seesADeal };
}

async function visibleCall(deps: CallsDeps, call: Call, id: string): Promise<CallRecord> {
  const found = await deps.calls.get(id);
  if (!found) throw new NotFoundError('call', id);
  const { recordOwner, seesADeal } = await visibility(deps, call, found);
  if (!canSeeCall(call.principal, found, recordOwner, seesADeal)) throw new NotFoundError('call', id);
  return found;
}

async function changeableCall(deps: CallsDeps, call: Call, id: string): Promise<CallRecord> {
  const found = await visibleCall(deps, call, id);
  if (found.user_id === call.principal.user_id) return found;
  const ref = refOf(found);
  const owner = ref ? await deps.records.ownerOf(ref.resource_type, ref.resource_id) : undefined;
  if (owner !== undefined && canChange(call.principal, owner)) return found;
  if (found.user_id === null && call.principal.role === 'admin') return found;
  throw new ForbiddenError("Only a call's user, or whoever may change its lead or contact, changes it", {
    code: 'call.change_forbidden',
  });
}

/** The link a request asks for, each record checked visible (404 naming it otherwise). */
async function checkedLink(deps: CallsDeps, call: Call, input: Parameters<typeof linkOf>[0], current: CallLink) {
  const link = linkOf(input, current);
  if ('invalid' in link) {
    throw ValidationError.field(`body.${link.invalid}`, 'resource_type and resource_id are given together', {
      fieldCode: 'required',
    });
  }
  const ref = refOf(link);
  const currentRef = refOf(current);
  if (ref && (!currentRef || recordRefKey(ref) !== recordRefKey(currentRef))) {
    await visibleRecordOwner(deps.records, call.principal, ref);
  }
  const added = link.associated_deal_ids.filter((id) => !current.associated_deal_ids.includes(id));
  for (const id of added) await visibleRecordOwner(deps.records, call.principal, { resource_type: 'deal', resource_id: id });
  return link;
}

async function checkOutcome(deps: CallsDeps, outcomeId: string | null | undefined): Promise<void> {
  if (outcomeId && !(await deps.outcomes.exists(outcomeId))) {
    throw ValidationError.field('body.outcome_id', 'is no call outcome', { fieldCode: 'unknown_reference' });
  }
}

const NO_LINK: CallLink = { resource_type: null, resource_id: null, associated_deal_ids: [] };

/** POST /calls: the caller's call, linked to records the caller sees. */
export async function createCall(deps: CallsDeps, call: Call, input: CreateCallInput): Promise<CallRecord> {
  const link = await checkedLink(deps, call, input, NO_LINK);
  await checkOutcome(deps, input.outcome_id);
  const now = call.events.now.toISOString();
  const record: CallRecord = {
    id: call.events.newId(),
    user_id: call.principal.user_id,
    phone_number: normalizePhone(input.phone_number),
    duration: input.duration ?? 0,
    incoming: input.incoming,
    missed: input.missed ?? false,
    outcome_id: input.outcome_id ?? null,
    summary: input.summary ?? null,
    recording_url: input.recording_url ?? null,
    ...link,
    made_at: input.made_at ? new Date(input.made_at).toISOString() : now,
    external_id: null,
    source: 'manual',
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await deps.calls.create(record, [domainEvent(call.events, 'call.created', callResource(record), record)]);
  return record;
}

export function getCall(deps: CallsDeps, call: Call, id: string): Promise<CallRecord> {
  return visibleCall(deps, call, id);
}

/** PATCH /calls/{id}: outcome, summary, and links (an unmatched call linked by its user or an admin). */
export async function updateCall(
  deps: CallsDeps,
  call: Call,
  id: string,
  patch: UpdateCallInput,
  ifMatch?: number,
): Promise<CallRecord> {
  return updateVersioned({
    resource: 'call',
    id,
    ifMatch,
    load: () => changeableCall(deps, call, id),
    reload: () => deps.calls.get(id),
    apply: async (before) => {
      const link = await checkedLink(deps, call, patch, before);
      if (patch.outcome_id !== before.outcome_id) await checkOutcome(deps, patch.outcome_id);
      const after: CallRecord = {
        ...before,
        ...(patch.outcome_id !== undefined ? { outcome_id: patch.outcome_id } : {}),
        ...(patch.summary !== undefined ? { summary: patch.summary } : {}),
        ...(patch.missed !== undefined ? { missed: patch.missed } : {}),
        ...(patch.duration !== undefined ? { duration: patch.duration } : {}),
        ...(patch.recording_url !== undefined ? { recording_url: patch.recording_url } : {}),
        ...link,
        // An unmatched provider's call linked by an admin gets the record's owner as its user.
        user_id: before.user_id ?? (await linkedOwner(deps, link)),
      };
      const changed = (Object.keys(after) as (keyof CallRecord)[]).filter(
        (k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]),
      );
      if (changed.length === 0) return before;
      const next: CallRecord = { ...after, updated_at: call.events.now.toISOString(), version: before.version + 1 };
      const previous = Object.fromEntries(changed.map((k) => [k, before[k]])) as Partial<CallRecord>;
      await deps.calls.update(before, next, [domainEvent(call.events, 'call.updated', callResource(next), next, { previous })]);
      return next;
    },
  });
}

async function linkedOwner(deps: CallsDeps, link: CallLink): Promise<string | null> {
  const ref = refOf(link);
  return ref ? ((await deps.records.ownerOf(ref.resource_type, ref.resource_id)) ?? null) : null;
}

export async function deleteCall(deps: CallsDeps, call: Call, id: string, ifMatch?: number): Promise<void> {
  const found = await changeableCall(deps, call, id);
  await checkIfMatch('call', id, found, ifMatch);
  await deps.calls.delete(found, [domainEvent(call.events, 'call.deleted', callResource(found), found)]);
}

export interface CallListRequest extends PageQuery {
  lead_id?: string | undefined;
  contact_id?: string | undefined;
  deal_id?: string | undefined;
  unmatched?: boolean | undefined;
}

/** Which list a request reads, its record checked visible; the caller's own calls by default. */
async function listOf(deps: Pick<CallsDeps, 'records'>, call: Call, request: CallListRequest): Promise<CallListQuery> {
  const given = (['lead_id', 'contact_id', 'deal_id', 'unmatched'] as const).filter((k) => request[k] !== undefined);
  if (given.length > 1) {
    throw ValidationError.field(`query.${given[1]}`, `is not combined with ${given[0]}`, { fieldCode: 'invalid' });
  }
  const type = request.lead_id ? 'lead' : request.contact_id ? 'contact' : request.deal_id ? 'deal' : undefined;
  const id = request.lead_id ?? request.contact_id ?? request.deal_id;
  if (type && id) {
    await visibleRecordOwner(deps.records, call.principal, { resource_type: type, resource_id: id });
    return { by: type, id };
  }
  if (request.unmatched) return { by: 'unmatched', id: call.principal.user_id };
  return { by: 'user', id: call.principal.user_id };
}

/**
 * GET /calls: a lead's, contact's or deal's calls (the record visible to the caller), the
 * caller's unmatched ones (admins: also a provider's ones nobody took), or else the caller's
 * own; newest made_at first.
 */
export async function listCalls(deps: CallsDeps, call: Call, request: CallListRequest): Promise<Page<CallRecord>> {
  const query = await listOf(deps, call, request);
  const page = { limit: request.limit, cursor: request.cursor };
  if (query.by === 'unmatched' && call.principal.role === 'admin' && request.cursor === undefined) {
    const [own, nobody] = await Promise.all([deps.calls.list(query, page), deps.calls.list({ by: 'unmatched', id: null }, page)]);
    return { items: [...own.items, ...nobody.items].slice(0, request.limit), next_cursor: own.next_cursor };
  }
  return deps.calls.list(query, page);
}

// --- text messages -------------------------------------------------------------------------

async function visibleText(deps: CallsDeps, call: Call, id: string): Promise<TextMessage> {
  const found = await deps.texts.get(id);
  if (!found) throw new NotFoundError('text_message', id);
  const { recordOwner, seesADeal } = await visibility(deps, call, found);
  if (!canSeeCall(call.principal, found, recordOwner, seesADeal)) throw new NotFoundError('text_message', id);
  return found;
}

export function getTextMessage(deps: CallsDeps, call: Call, id: string): Promise<TextMessage> {
  return visibleText(deps, call, id);
}

/** POST /text_messages: a text logged by hand by the caller. */
export async function createTextMessage(deps: CallsDeps, call: Call, input: CreateTextMessageInput): Promise<TextMessage> {
  const link = await checkedLink(deps, call, input, NO_LINK);
  const now = call.events.now.toISOString();
  const text: TextMessage = {
    id: call.events.newId(),
    user_id: call.principal.user_id,
    content: input.content,
    incoming: input.incoming,
    ...link,
    resource_phone_number: normalizePhone(input.resource_phone_number),
    user_phone_number: null,
    sent_at: input.sent_at ? new Date(input.sent_at).toISOString() : now,
    external_id: null,
    source: 'manual',
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await deps.texts.create(text, [domainEvent(call.events, 'text_message.created', textResource(text), text)]);
  return text;
}

export interface TextListRequest extends PageQuery {
  resource_type?: 'lead' | 'contact' | undefined;
  resource_id?: string | undefined;
  unmatched?: boolean | undefined;
}

/** GET /text_messages: a lead's or contact's texts (Sell's resource_type + resource_id), the caller's unmatched ones, or the caller's own. */
export async function listTextMessages(deps: CallsDeps, call: Call, request: TextListRequest): Promise<Page<TextMessage>> {
  const { resource_type, resource_id } = request;
  if ((resource_type === undefined) !== (resource_id === undefined)) {
    const missing = resource_type === undefined ? 'resource_type' : 'resource_id';
    throw ValidationError.field(`query.${missing}`, 'resource_type and resource_id are given together', {
      fieldCode: 'required',
    });
  }
  const page = { limit: request.limit, cursor: request.cursor };
  if (resource_type && resource_id) {
    await visibleRecordOwner(deps.records, call.principal, { resource_type, resource_id });
    return deps.texts.list({ by: resource_type, id: resource_id }, page);
  }
  if (request.unmatched) return deps.texts.list({ by: 'unmatched', id: call.principal.user_id }, page);
  return deps.texts.list({ by: 'user', id: call.principal.user_id }, page);
}

// --- from a voice provider -------------------------------------------------------------------

/** The actor of a provider's writes ("voice:connect", "voice:twilio"). */
export const providerActorId = (source: 'connect' | 'twilio'): string => `voice:${source}`;

export interface LoggedActivity {
  kind: 'call' | 'text';
  id: string;
  /** False when the provider's id had been logged already (a redelivery): nothing was written. */
  created: boolean;
  matched: boolean;
}

/**
 * Logs what a provider reported: the customer's number matched to a lead or contact (contacts
 * first), the call or text on it with its owner as user (or `userId`, when the provider says
 * which user took it: a Connect agent); unmatched, kept with that user or none, for the user or
 * an admin to link. Idempotent by the provider's id (a second delivery answers the first's record).
 */
export async function logProviderActivity(
  deps: ProviderDeps,
  ctx: EventContext,
  source: 'connect' | 'twilio',
  activity: ProviderActivity,
  userId?: string,
): Promise<LoggedActivity> {
  const kind = activity.kind;
  const existing =
    kind === 'call'
      ? await deps.calls.byExternalId(source, activity.external_id)
      : await deps.texts.byExternalId(source, activity.external_id);
  if (existing) return { kind, id: existing.id, created: false, matched: existing.resource_id !== null };
  const match = activity.phone_number ? (await deps.phones.match(activity.phone_number))[0] : undefined;
  const link: CallLink = match
    ? { resource_type: match.resource_type, resource_id: match.resource_id, associated_deal_ids: [] }
    : NO_LINK;
  const now = ctx.now.toISOString();
  const common = {
    id: ctx.newId(),
    user_id: userId ?? match?.owner_id ?? null,
    ...link,
    external_id: activity.external_id,
    source,
  };
  const stamps = { created_at: now, updated_at: now, version: 1 };
  try {
    if (activity.kind === 'call') {
      const record: CallRecord = {
        ...common,
        phone_number: activity.phone_number,
        duration: activity.duration,
        incoming: activity.incoming,
        missed: activity.missed,
        outcome_id: null,
        summary: null,
        recording_url: activity.recording_url,
        made_at: activity.made_at,
        ...stamps,
      };
      await deps.calls.create(record, [domainEvent(ctx, 'call.created', callResource(record), record)]);
    } else {
      const text: TextMessage = {
        ...common,
        content: activity.content,
        incoming: activity.incoming,
        resource_phone_number: activity.phone_number,
        user_phone_number: null,
        sent_at: activity.sent_at,
        ...stamps,
      };
      await deps.texts.create(text, [domainEvent(ctx, 'text_message.created', textResource(text), text)]);
    }
  } catch (error) {
    // Two deliveries at once: the other one logged it.
    if ((error as { code?: string }).code !== 'call.duplicate') throw error;
    const raced =
      kind === 'call'
        ? await deps.calls.byExternalId(source, activity.external_id)
        : await deps.texts.byExternalId(source, activity.external_id);
    if (!raced) throw error;
    return { kind, id: raced.id, created: false, matched: raced.resource_id !== null };
  }
  return { kind, id: common.id, created: true, matched: match !== undefined };
}
