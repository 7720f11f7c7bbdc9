import { describe, expect, it } from 'vitest';
import { CONTACT_STATUS_AUTOMATION, refreshContactStatuses, type ContactStatusDeps } from '#shared/contacts/status.ts';
import { eventProblems } from '#shared/events/domain.ts';
import { domainEvent, MAX_CAUSE_DEPTH, type DomainEvent } from '#shared/kernel/events.ts';
import { FixedClock, TEST_NOW, idSequence, testId } from '#test/helpers/fakes.ts';
import { FakeContactDealStages, InMemoryContactRepository, makeContact } from '#test/contacts/fakes.ts';

// The consumer that writes events (contact-status) marks them with caused_by from the deal
// event that made it write, one link deeper, and refuses to write at MAX_CAUSE_DEPTH.

const C1 = testId(1);

function setup() {
  const repo = new InMemoryContactRepository().seed(makeContact(C1));
  const deals = new FakeContactDealStages();
  deals.set(C1, ['S-won']);
  const deps: ContactStatusDeps = {
    contacts: repo,
    deals,
    stages: { get: async (id) => (id === 'S-won' ? { category: 'won' as const } : undefined) },
    clock: new FixedClock(),
    newId: idSequence(),
  };
  return { repo, deps };
}

const dealWon = (caused_by?: DomainEvent['metadata']['caused_by']): DomainEvent =>
  domainEvent(
    {
      actor_id: 'U1',
      correlation_id: 'corr-deal',
      now: new Date(TEST_NOW),
      newId: () => testId(99, 'E'),
      ...(caused_by ? { caused_by } : {}),
    },
    'deal.stage_changed',
    { resource_type: 'deal', resource_id: 'D1' },
    { contact_id: C1, stage_id: 'S-won' },
  );

describe('contact-status and caused_by', () => {
  it("sets caused_by on its contact.updated from a user's deal event: depth 1, the deal event as root", async () => {
    const { repo, deps } = setup();
    const trigger = dealWon();
    await refreshContactStatuses(deps, trigger);
    const [written] = repo.events;
    expect(written!.metadata.caused_by).toEqual({
      event_id: trigger.metadata.event_id,
      root_event_id: trigger.metadata.event_id,
      automation: CONTACT_STATUS_AUTOMATION,
      depth: 1,
    });
    expect(eventProblems(written!)).toEqual([]);
  });

  it('keeps the root of a longer chain and goes one deeper', async () => {
    const { repo, deps } = setup();
    const trigger = dealWon({ event_id: 'E-mid', root_event_id: 'E-root', automation: 'some-rule', depth: 2 });
    await refreshContactStatuses(deps, trigger);
    expect(repo.events[0]!.metadata.caused_by).toEqual({
      event_id: trigger.metadata.event_id,
      root_event_id: 'E-root',
      automation: CONTACT_STATUS_AUTOMATION,
      depth: 3,
    });
  });

  it('refuses to write at MAX_CAUSE_DEPTH (automations in a loop)', async () => {
    const { repo, deps } = setup();
    const trigger = dealWon({ event_id: 'E-mid', root_event_id: 'E-root', automation: 'loop', depth: MAX_CAUSE_DEPTH - 1 });
    await expect(refreshContactStatuses(deps, trigger)).rejects.toThrow(/refusing to write/);
    expect(repo.events).toEqual([]);
  });
});
