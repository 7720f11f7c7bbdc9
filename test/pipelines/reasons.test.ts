import { describe, expect, it } from 'vitest';
import { addEntries, createEntry, deleteEntry, getEntry, listEntries, renameEntry } from '#shared/pipelines/reason-use-cases.ts';
import { ConflictError, NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { NamedEntry } from '#shared/pipelines/reasons.ts';
import { TEST_CORRELATION_ID, TEST_NOW, fakeCall, makeUser, principalOf, testId, rejection } from '#test/helpers/fakes.ts';
import { InMemoryNamedListRepository, makeEntry } from './fakes.ts';

const ADMIN = testId(1);
const PRICE = testId(20);
const TIMING = testId(21);
const gen = (n: number) => testId(n, 'G');

function setup() {
  const namedLists = new InMemoryNamedListRepository()
    .seed('loss_reason', [makeEntry(PRICE, 'Price'), makeEntry(TIMING, 'Timing')])
    .seed('source', [makeEntry(testId(30), 'Website')]);
  return { namedLists, deps: { namedLists }, call: fakeCall(principalOf(makeUser(ADMIN, { role: 'admin' }))) };
}

describe('createEntry', () => {
  it('adds an entry, version 1, with a <kind>.created event', async () => {
    const { namedLists, deps, call } = setup();
    const entry = await createEntry(deps, call, 'loss_reason', { name: 'Budget' });
    const expected: NamedEntry = { id: gen(1), name: 'Budget', created_at: TEST_NOW, updated_at: TEST_NOW, version: 1 };
    expect(entry).toEqual(expected);
    expect(await namedLists.get('loss_reason', gen(1))).toEqual(expected);
    expect(namedLists.events).toEqual([
      {
        metadata: {
          event_id: gen(2),
          event_type: 'loss_reason.created',
          event_version: 1,
          occurred_at: TEST_NOW,
          actor_id: ADMIN,
          correlation_id: TEST_CORRELATION_ID,
          resource_type: 'loss_reason',
          resource_id: gen(1),
        },
        data: expected,
      },
    ]);
  });

  it.each(['price', 'PRICE', 'Price'])('refuses "%s" in a list that has "Price", and writes nothing', async (name) => {
    const { namedLists, deps, call } = setup();
    const error = await rejection(createEntry(deps, call, 'loss_reason', { name }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe(`A loss reason named "${name}" already exists`);
    expect(namedLists.names('loss_reason')).toEqual(['Price', 'Timing']);
    expect(namedLists.events).toEqual([]);
  });

  it('takes a name another list has: names are unique per list', async () => {
    const { deps, call } = setup();
    expect(await createEntry(deps, call, 'deal_unqualified_reason', { name: 'Price' })).toMatchObject({ name: 'Price' });
    expect(await createEntry(deps, call, 'source', { name: 'Referral' })).toMatchObject({ name: 'Referral' });
  });

  it('names the event after the list', async () => {
    const { namedLists, deps, call } = setup();
    await createEntry(deps, call, 'lead_unqualified_reason', { name: 'No budget' });
    await createEntry(deps, call, 'source', { name: 'Event' });
    expect(namedLists.events.map((e) => [e.metadata.event_type, e.metadata.resource_type])).toEqual([
      ['lead_unqualified_reason.created', 'lead_unqualified_reason'],
      ['source.created', 'source'],
    ]);
  });
});

describe('addEntries', () => {
  it('adds several entries in one write, or none when one name is taken', async () => {
    const { namedLists, deps, call } = setup();
    await addEntries(deps, call, 'deal_unqualified_reason', ['Timing', 'Budget']);
    expect(namedLists.names('deal_unqualified_reason')).toEqual(['Timing', 'Budget']);
    await expect(addEntries(deps, call, 'loss_reason', ['Budget', 'timing'])).rejects.toBeInstanceOf(ConflictError);
    expect(namedLists.names('loss_reason')).toEqual(['Price', 'Timing']);
  });

  it('refuses the same name twice in one batch', async () => {
    const { deps, call } = setup();
    await expect(addEntries(deps, call, 'source', ['Partner', 'partner'])).rejects.toThrow('The source "partner" is given twice');
  });
});

describe('reading entries', () => {
  it('gets an entry and lists a page; an unknown entry, or one of another list, is not found', async () => {
    const { deps } = setup();
    expect(await getEntry(deps, 'loss_reason', PRICE)).toMatchObject({ name: 'Price' });
    expect(await listEntries(deps, 'loss_reason', { limit: 1 })).toEqual({
      items: [makeEntry(PRICE, 'Price')],
      next_cursor: PRICE,
    });
    const error = await rejection(getEntry(deps, 'source', PRICE));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(`source ${PRICE} was not found`);
  });
});

describe('renameEntry', () => {
  it('renames: version + 1, <kind>.updated with the previous name', async () => {
    const { namedLists, deps, call } = setup();
    const saved = await renameEntry(deps, call, 'loss_reason', PRICE, { name: 'Too expensive' }, 1);
    expect(saved).toEqual({ ...makeEntry(PRICE, 'Too expensive'), updated_at: TEST_NOW, version: 2 });
    expect(namedLists.events).toEqual([
      {
        metadata: expect.objectContaining({ event_type: 'loss_reason.updated', resource_id: PRICE }),
        data: saved,
        previous: { name: 'Price' },
      },
    ]);
  });

  it("changes the case of its own name, but refuses another entry's name", async () => {
    const { deps, call } = setup();
    expect(await renameEntry(deps, call, 'loss_reason', PRICE, { name: 'PRICE' })).toMatchObject({ name: 'PRICE' });
    await expect(renameEntry(deps, call, 'loss_reason', PRICE, { name: 'timing' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('answers the same name as a no-op and refuses a stale If-Match with the current entry', async () => {
    const { namedLists, deps, call } = setup();
    expect(await renameEntry(deps, call, 'loss_reason', PRICE, { name: 'Price' })).toMatchObject({ version: 1 });
    const error = await rejection(renameEntry(deps, call, 'loss_reason', PRICE, { name: 'X' }, 3));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toEqual(makeEntry(PRICE, 'Price'));
    expect(namedLists.events).toEqual([]);
  });
});

describe('deleteEntry', () => {
  it('deletes with a <kind>.deleted event carrying the entry; its name is free again', async () => {
    const { namedLists, deps, call } = setup();
    await deleteEntry(deps, call, 'loss_reason', PRICE, 1);
    // Kept as a tombstone: still read by id, out of the list, changed no more.
    expect(await getEntry(deps, 'loss_reason', PRICE)).toMatchObject({ deleted_at: expect.any(String), version: 2 });
    expect((await listEntries(deps, 'loss_reason', { limit: 10 })).items.map((e) => e.id)).not.toContain(PRICE);
    await expect(renameEntry(deps, call, 'loss_reason', PRICE, { name: 'Cost' })).rejects.toBeInstanceOf(NotFoundError);
    expect(namedLists.events).toEqual([
      {
        metadata: expect.objectContaining({ event_type: 'loss_reason.deleted', resource_id: PRICE }),
        data: makeEntry(PRICE, 'Price'),
      },
    ]);
    expect(await createEntry(deps, call, 'loss_reason', { name: 'price' })).toMatchObject({ name: 'price' });
  });

  it('refuses a stale If-Match and an unknown entry', async () => {
    const { deps, call } = setup();
    await expect(deleteEntry(deps, call, 'loss_reason', PRICE, 2)).rejects.toBeInstanceOf(VersionMismatchError);
    await expect(deleteEntry(deps, call, 'loss_reason', testId(99))).rejects.toBeInstanceOf(NotFoundError);
  });
});
