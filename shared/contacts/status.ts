import { statusesFromDeals, type Contact } from './domain.ts';
import { causedContext, changedFields, domainEvent, type DomainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { StageCategory } from '#shared/pipelines/defaults.ts';
import type { ContactDealStages, ContactRepository } from './ports.ts';
import { contactRefsOf, contactResource } from './use-cases.ts';
import type { StageReader } from '#shared/pipelines/ports.ts';
import type { Clock } from '#shared/kernel/ports.ts';
import { retryOnVersionMismatch } from '#shared/kernel/versioned-update.ts';

// A contact's prospect and customer statuses follow its deals (F3.2, as in Sell): a bus
// consumer of the deal events recomputes them from ALL the contact's deals, never from the
// event alone, so redeliveries and events out of order give the same answer. It writes only
// when a status changes, conditional on the version it read, and says so with contact.updated.

export const CONTACT_STATUS_EVENTS = [
  'deal.created',
  'deal.updated',
  'deal.stage_changed',
  'deal.deleted',
  'deal.contact_associated',
  'deal.contact_dissociated',
] as const;

/** The automation named in the caused_by of the events it writes (the consumer's name). */
export const CONTACT_STATUS_AUTOMATION = 'contact-status';

/** Deals read per contact; beyond it the newest ones decide (a contact with more is rare). */
export const MAX_DEALS_PER_CONTACT = 500;
const WRITE_ATTEMPTS = 5;

export interface ContactStatusDeps {
  contacts: Pick<ContactRepository, 'get' | 'update'>;
  deals: ContactDealStages;
  /** The category of a stage (only that is read). */
  stages: { get(id: string): Promise<{ category: StageCategory } | undefined> };
  clock: Clock;
  newId: () => string;
}

/**
 * The contacts a deal event concerns: the deal's contact now and before, the contact linked or
 * unlinked, and, when the event lists them, the deal's associated contacts
 * (`data.associated_contact_ids`: a deleted deal's links go with it, unannounced otherwise).
 */
export function contactsInvolved(event: DomainEvent): string[] {
  const data = event.data as { contact_id?: unknown; associated_contact_ids?: unknown };
  const previous = (event.previous ?? {}) as { contact_id?: unknown };
  const associated = Array.isArray(data.associated_contact_ids) ? data.associated_contact_ids : [];
  const ids = [data.contact_id, previous.contact_id, ...associated].filter(
    (id): id is string => typeof id === 'string' && id !== '',
  );
  return [...new Set(ids)];
}

/** What happened to each contact of the event. */
export type StatusOutcome = { contact_id: string; outcome: 'updated' | 'unchanged' | 'no_contact' };

export async function refreshContactStatuses(deps: ContactStatusDeps, event: DomainEvent): Promise<StatusOutcome[]> {
  const outcomes: StatusOutcome[] = [];
  for (const contactId of contactsInvolved(event)) {
    outcomes.push({ contact_id: contactId, outcome: await refreshOne(deps, contactId, event) });
  }
  return outcomes;
}

async function refreshOne(deps: ContactStatusDeps, contactId: string, cause: DomainEvent): Promise<StatusOutcome['outcome']> {
  // Someone changed the contact meanwhile: read it again and recompute.
  return retryOnVersionMismatch(async () => {
    // Deals may name a contact id that is not (or no longer) a contact: nothing to keep.
    const before = await deps.contacts.get(contactId);
    if (!before) return 'no_contact';
    const categories = await categoriesOfDeals(deps, contactId);
    const after: Contact = { ...before, ...statusesFromDeals(before, categories) };
    const previous = changedFields(before, after);
    if (Object.keys(previous).length === 0) return 'unchanged';
    const ctx: EventContext = causedContext(cause, CONTACT_STATUS_AUTOMATION, deps.clock.now(), deps.newId);
    after.updated_at = ctx.now.toISOString();
    after.version = before.version + 1;
    await deps.contacts.update(before, after, contactRefsOf(after), [
      domainEvent(ctx, 'contact.updated', contactResource(after), after, { previous }),
    ]);
    return 'updated';
  }, WRITE_ATTEMPTS);
}

async function categoriesOfDeals(deps: ContactStatusDeps, contactId: string): Promise<StageCategory[]> {
  const { stage_ids } = await deps.deals.stageIdsOf(contactId, MAX_DEALS_PER_CONTACT);
  const categories = new Set<StageCategory>();
  for (const stageId of new Set(stage_ids)) {
    const stage = await deps.stages.get(stageId);
    if (stage) categories.add(stage.category);
  }
  return [...categories];
}

/**
 * Stage categories remembered for the life of the container: a stage's category is fixed
 * when it is created (F5.2), so the answer never goes stale.
 */
export function cachedStageCategories(stages: Pick<StageReader, 'get'>): ContactStatusDeps['stages'] {
  const known = new Map<string, { category: StageCategory }>();
  return {
    async get(id) {
      const cached = known.get(id);
      if (cached) return cached;
      const stage = await stages.get(id);
      if (!stage) return undefined;
      known.set(id, { category: stage.category });
      return { category: stage.category };
    },
  };
}
