import { describe, expect, it } from 'vitest';
import {
  cachedStageCategories,
  contactsInvolved,
  refreshContactStatuses,
  type ContactStatusDeps,
} from '#shared/contacts/status.ts';
import type { Contact } from '#shared/contacts/domain.ts';
import { domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import type { StageCategory } from '#shared/pipelines/defaults.ts';
import { FixedClock, TEST_NOW, idSequence, testId } from '#test/helpers/fakes.ts';
import { FakeContactDealStages, InMemoryContactRepository, makeContact } from './fakes.ts';
import { makeStage } from '#test/pipelines/fakes.ts';

const C1 = testId(1);
const C2 = testId(2);
const STAGES: Record<StageCategory, string> = { active: 'S-active', won: 'S-won', lost: 'S-lost', unqualified: 'S-unq' };

function setup(...contacts: Contact[]) {
  const repo = new InMemoryContactRepository().seed(...contacts);
  const deals = new FakeContactDealStages();
  const stageReads: string[] = [];
  const deps: ContactStatusDeps = {
    contacts: repo,
    deals,
    stages: {
      async get(id) {
        stageReads.push(id);
        const category = (Object.keys(STAGES) as StageCategory[]).find((c) => STAGES[c] === id);
        return category && { category };
      },
    },
    clock: new FixedClock(),
    newId: idSequence(),
  };
  return { repo, deals, deps, stageReads };
}

const dealEvent = (type: string, data: Record<string, unknown>, previous?: Record<string, unknown>): DomainEvent =>
  domainEvent(
    { actor_id: 'U1', correlation_id: 'corr-deal', now: new Date(TEST_NOW), newId: () => testId(99, 'E') },
    type,
    { resource_type: 'deal', resource_id: 'D1' },
    data,
    previous ? { previous } : {},
  );

describe('contactsInvolved', () => {
  it('names the contact now and before, once each; ignores a deal without one', () => {
    expect(contactsInvolved(dealEvent('deal.updated', { contact_id: C1 }, { contact_id: C2 }))).toEqual([C1, C2]);
    expect(contactsInvolved(dealEvent('deal.stage_changed', { contact_id: C1 }, { stage_id: 'x' }))).toEqual([C1]);
    expect(contactsInvolved(dealEvent('deal.updated', { contact_id: null }, { contact_id: C1 }))).toEqual([C1]);
    expect(contactsInvolved(dealEvent('deal.contact_associated', { deal_id: 'D1', contact_id: C2 }))).toEqual([C2]);
    expect(contactsInvolved(dealEvent('deal.created', { contact_id: null }))).toEqual([]);
    expect(contactsInvolved(dealEvent('deal.deleted', { contact_id: C1, associated_contact_ids: [C2, C1] }))).toEqual([C1, C2]);
  });
});

describe('refreshContactStatuses', () => {
  it('makes a contact with a won deal a current customer and publishes contact.updated as the system', async () => {
    const { repo, deals, deps } = setup(makeContact(C1));
    deals.set(C1, [STAGES.won, STAGES.lost]);
    expect(await refreshContactStatuses(deps, dealEvent('deal.stage_changed', { contact_id: C1 }))).toEqual([
      { contact_id: C1, outcome: 'updated' },
    ]);
    expect(repo.contacts.get(C1)).toMatchObject({
      prospect_status: 'lost',
      customer_status: 'current',
      version: 2,
      updated_at: TEST_NOW,
    });
    expect(repo.events).toHaveLength(1);
    expect(repo.events[0]).toMatchObject({
      metadata: { event_type: 'contact.updated', actor_id: 'system', correlation_id: 'corr-deal', resource_id: C1 },
      previous: { prospect_status: 'none', customer_status: 'none' },
    });
  });

  it('gives the same result on redelivery, writing nothing the second time', async () => {
    const { repo, deals, deps } = setup(makeContact(C1));
    deals.set(C1, [STAGES.active]);
    const event = dealEvent('deal.created', { contact_id: C1 });
    await refreshContactStatuses(deps, event);
    expect(await refreshContactStatuses(deps, event)).toEqual([{ contact_id: C1, outcome: 'unchanged' }]);
    expect(repo.writes).toHaveLength(1);
    expect(repo.contacts.get(C1)).toMatchObject({ prospect_status: 'current', version: 2 });
  });

  it('recomputes the contact the deal left too (previous.contact_id)', async () => {
    const { repo, deals, deps } = setup(
      makeContact(C1),
      makeContact(C2, { prospect_status: 'current', customer_status: 'current' }),
    );
    deals.set(C1, [STAGES.active]).set(C2, []);
    await refreshContactStatuses(deps, dealEvent('deal.updated', { contact_id: C1 }, { contact_id: C2 }));
    expect(repo.contacts.get(C1)).toMatchObject({ prospect_status: 'current', customer_status: 'none' });
    expect(repo.contacts.get(C2)).toMatchObject({ prospect_status: 'none', customer_status: 'none' });
  });

  it('keeps a past customer past', async () => {
    const { repo, deals, deps } = setup(makeContact(C1, { customer_status: 'past' }));
    deals.set(C1, [STAGES.won]);
    expect(await refreshContactStatuses(deps, dealEvent('deal.updated', { contact_id: C1 }))).toEqual([
      { contact_id: C1, outcome: 'unchanged' },
    ]);
    expect(repo.contacts.get(C1)!.customer_status).toBe('past');
  });

  it('skips a contact id that is no contact', async () => {
    const { deps } = setup();
    expect(await refreshContactStatuses(deps, dealEvent('deal.deleted', { contact_id: C1 }))).toEqual([
      { contact_id: C1, outcome: 'no_contact' },
    ]);
  });

  it('reads the contact again when it changed meanwhile, keeping that change', async () => {
    const { repo, deals, deps } = setup(makeContact(C1));
    deals.set(C1, [STAGES.won]);
    repo.concurrentChanges = 2;
    await refreshContactStatuses(deps, dealEvent('deal.updated', { contact_id: C1 }));
    expect(repo.contacts.get(C1)).toMatchObject({ customer_status: 'current', title: 'changed meanwhile 3', version: 4 });
  });

  it('reads each distinct stage once', async () => {
    const { deals, deps, stageReads } = setup(makeContact(C1));
    deals.set(C1, [STAGES.active, STAGES.active, STAGES.lost]);
    await refreshContactStatuses(deps, dealEvent('deal.updated', { contact_id: C1 }));
    expect(stageReads.sort()).toEqual([STAGES.active, STAGES.lost].sort());
  });
});

describe('cachedStageCategories', () => {
  it('reads a stage once per container, and does not remember a missing one', async () => {
    const reads: string[] = [];
    const cached = cachedStageCategories({
      async get(id) {
        reads.push(id);
        return id === 'S1' ? makeStage('S1', 'P1', { category: 'won' }) : undefined;
      },
    });
    expect(await cached.get('S1')).toEqual({ category: 'won' });
    expect(await cached.get('S1')).toEqual({ category: 'won' });
    expect(await cached.get('S2')).toBeUndefined();
    expect(await cached.get('S2')).toBeUndefined();
    expect(reads).toEqual(['S1', 'S2', 'S2']);
  });
});
