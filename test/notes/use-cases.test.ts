import { describe, expect, it } from 'vitest';
import { createNote, deleteNote, getNote, listNotes, listRecordNotes, updateNote } from '#shared/notes/use-cases.ts';
import { NOTE_EVENT_CONTENT_MAX, type Note } from '#shared/notes/domain.ts';
import { ConflictError, ForbiddenError, NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import { TEST_NOW, USERS, callsAs, eventTypes, fieldsOf, rejection, testId } from '#test/helpers/fakes.ts';
import { InMemoryStore } from '#test/helpers/in-memory-store.ts';
import { makeContact, makeLead } from '#test/contacts/fakes.ts';
import { makeDeal } from '#test/deals/fakes.ts';
import { makeNote, notesDeps } from './fakes.ts';

// The note use cases on the in-memory fakes: a note is seen by whoever sees its record (its
// owner, their manager, admins), changed by its creator or whoever's scope covers the creator;
// If-Match, the replay on a concurrent change, events, and the lists.

const { admin: ADMIN, manager: MANAGER, rep: REP, peer: PEER } = USERS;
const STAGE = { id: testId(20), pipeline_id: testId(10) };
const REP_DEAL: RecordRef = { resource_type: 'deal', resource_id: testId(30) };
const REP_LEAD: RecordRef = { resource_type: 'lead', resource_id: testId(31) };
const REP_CONTACT: RecordRef = { resource_type: 'contact', resource_id: testId(32) };
const PEER_DEAL: RecordRef = { resource_type: 'deal', resource_id: testId(33) };
const NOTE = testId(100);

function setup(...notes: Note[]) {
  const store = new InMemoryStore().seed({
    users: [ADMIN, MANAGER, REP, PEER],
    deals: [
      makeDeal(REP_DEAL.resource_id, STAGE, { owner_id: REP.id }),
      makeDeal(PEER_DEAL.resource_id, STAGE, { owner_id: PEER.id }),
    ],
    leads: [makeLead(REP_LEAD.resource_id, { owner_id: REP.id })],
    contacts: [makeContact(REP_CONTACT.resource_id, { owner_id: REP.id })],
    notes,
  });
  const deps = notesDeps(store);
  return { store, deps, notes: deps.notes, as: callsAs() };
}

/** A note the rep wrote on their deal. */
const repNote = (overrides: Partial<Note> = {}) => makeNote(NOTE, REP_DEAL, { creator_id: REP.id, ...overrides });

describe('createNote', () => {
  it('writes a note on a record the caller sees, created by them, with note.created', async () => {
    const { deps, notes, as } = setup();
    const note = await createNote(deps, as.rep(), { content: 'Called, wants a quote', ...REP_DEAL });
    expect(note).toEqual({
      id: expect.any(String),
      content: 'Called, wants a quote',
      ...REP_DEAL,
      creator_id: REP.id,
      created_at: TEST_NOW,
      updated_at: TEST_NOW,
      version: 1,
    });
    expect(await notes.get(note.id)).toEqual(note);
    expect(eventTypes(notes.events)).toEqual(['note.created']);
    expect(notes.events[0]!.metadata).toMatchObject({ resource_type: 'note', resource_id: note.id });
    expect(notes.events[0]!.data).toEqual({ ...note, content_truncated: false });
  });

  it("lets the manager write on their report's record and the admin on anyone's, on leads and contacts too", async () => {
    const { deps, as } = setup();
    for (const ref of [REP_DEAL, REP_LEAD, REP_CONTACT]) {
      expect((await createNote(deps, as.manager(), { content: 'x', ...ref })).creator_id).toBe(MANAGER.id);
    }
    expect((await createNote(deps, as.admin(), { content: 'x', ...PEER_DEAL })).creator_id).toBe(ADMIN.id);
  });

  it("answers not found naming the record for someone else's record and for an unknown one, writing nothing", async () => {
    const { store, deps, notes, as } = setup();
    const hidden = await rejection(createNote(deps, as.rep(), { content: 'x', ...PEER_DEAL }));
    expect(hidden).toBeInstanceOf(NotFoundError);
    expect((hidden as NotFoundError).detail).toEqual({ resource: 'deal', id: PEER_DEAL.resource_id });
    const unknown = await rejection(
      createNote(deps, as.admin(), { content: 'x', resource_type: 'lead', resource_id: testId(99) }),
    );
    expect((unknown as NotFoundError).detail).toEqual({ resource: 'lead', id: testId(99) });
    expect(store.notes.size).toBe(0);
    expect(notes.events).toEqual([]);
  });

  it('is refused by the write when the record changed owner meanwhile (409) or went (404)', async () => {
    const { store, deps, notes, as } = setup();
    notes.beforeWrite = () => (store.deals.get(REP_DEAL.resource_id)!.owner_id = PEER.id);
    expect(await rejection(createNote(deps, as.rep(), { content: 'x', ...REP_DEAL }))).toBeInstanceOf(ConflictError);
    notes.beforeWrite = () => store.leads.delete(REP_LEAD.resource_id);
    const gone = await rejection(createNote(deps, as.rep(), { content: 'x', ...REP_LEAD }));
    expect((gone as NotFoundError).detail).toEqual({ resource: 'lead', id: REP_LEAD.resource_id });
    expect(store.notes.size).toBe(0);
  });
});

describe('getNote', () => {
  it('follows the record: its owner, their manager and admins see the note; others get 404, as for an unknown id', async () => {
    const { store, deps, as } = setup(repNote());
    expect((await getNote(deps, as.rep(), NOTE)).id).toBe(NOTE);
    expect((await getNote(deps, as.manager(), NOTE)).id).toBe(NOTE);
    expect((await getNote(deps, as.admin(), NOTE)).id).toBe(NOTE);
    const hidden = await rejection(getNote(deps, as.peer(), NOTE));
    expect((hidden as NotFoundError).detail).toEqual({ resource: 'note', id: NOTE });
    // The deal changes hands: its notes go with it, whoever wrote them.
    store.deals.get(REP_DEAL.resource_id)!.owner_id = PEER.id;
    expect(await rejection(getNote(deps, as.rep(), NOTE))).toBeInstanceOf(NotFoundError);
    expect((await getNote(deps, as.peer(), NOTE)).id).toBe(NOTE);
    // A note whose record is gone is gone too.
    store.deals.delete(REP_DEAL.resource_id);
    expect(await rejection(getNote(deps, as.admin(), NOTE))).toBeInstanceOf(NotFoundError);
  });
});

describe('updateNote and deleteNote', () => {
  it('let the creator and their manager change a note; not the record owner when someone else wrote it (403)', async () => {
    const { deps, notes, as } = setup(repNote({ content: 'v1' }));
    expect(await updateNote(deps, as.rep(), NOTE, { content: 'v2' })).toMatchObject({ content: 'v2', version: 2 });
    expect(await updateNote(deps, as.manager(), NOTE, { content: 'v3' })).toMatchObject({ content: 'v3', version: 3 });
    expect(eventTypes(notes.events)).toEqual(['note.updated', 'note.updated']);

    const coaching = await createNote(deps, as.manager(), { content: 'Push for Q4', ...REP_DEAL });
    const refused = await rejection(updateNote(deps, as.rep(), coaching.id, { content: 'no' }));
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect((refused as Error).message).toMatch(/creator/);
    expect(await rejection(deleteNote(deps, as.rep(), coaching.id))).toBeInstanceOf(ForbiddenError);
    expect(await updateNote(deps, as.admin(), coaching.id, { content: 'Push for Q1' })).toMatchObject({ version: 2 });
  });

  it("refuses a manager another manager's note on a record they see (403), and hides it from an outsider (404)", async () => {
    const { deps, as } = setup(makeNote(NOTE, REP_DEAL, { creator_id: ADMIN.id }));
    const refused = await rejection(updateNote(deps, as.manager(), NOTE, { content: 'x' }));
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect((refused as Error).message).toMatch(/direct reports/);
    expect(await rejection(updateNote(deps, as.peer(), NOTE, { content: 'x' }))).toBeInstanceOf(NotFoundError);
  });

  it('publishes note.updated with the old text as previous, both cut to 1,000 characters', async () => {
    const long = 'z'.repeat(NOTE_EVENT_CONTENT_MAX + 10);
    const { deps, notes, as } = setup(repNote({ content: long }));
    await updateNote(deps, as.rep(), NOTE, { content: 'short' });
    expect(notes.events[0]!.data).toMatchObject({ content: 'short', content_truncated: false, version: 2 });
    expect(notes.events[0]!.previous).toEqual({ content: 'z'.repeat(NOTE_EVENT_CONTENT_MAX), content_truncated: true });
    await updateNote(deps, as.rep(), NOTE, { content: long });
    expect(notes.events[1]!.data).toMatchObject({ content: 'z'.repeat(NOTE_EVENT_CONTENT_MAX), content_truncated: true });
  });

  it('changes nothing for the same text', async () => {
    const { deps, notes, as } = setup(repNote({ content: 'same' }));
    expect(await updateNote(deps, as.rep(), NOTE, { content: 'same' })).toMatchObject({ version: 1 });
    expect(notes.events).toEqual([]);
  });

  it('answers a stale If-Match with 412 and the current note', async () => {
    const { deps, notes, as } = setup(repNote({ content: 'b', version: 2 }));
    const stale = await rejection(updateNote(deps, as.rep(), NOTE, { content: 'c' }, 1));
    expect(stale).toBeInstanceOf(VersionMismatchError);
    expect((stale as VersionMismatchError).current).toMatchObject({ content: 'b', version: 2 });
    expect(await rejection(deleteNote(deps, as.rep(), NOTE, 1))).toBeInstanceOf(VersionMismatchError);
    expect(notes.events).toEqual([]);
  });

  it('writes over a change made meanwhile without If-Match; with If-Match it answers 412 with that change', async () => {
    const { store, deps, notes, as } = setup(repNote({ content: 'a' }));
    let concurrent = 1;
    notes.beforeWrite = () => {
      if (concurrent-- > 0) Object.assign(store.notes.get(NOTE)!, { content: 'theirs', version: 2 });
    };
    const mine = await updateNote(deps, as.rep(), NOTE, { content: 'mine' });
    expect(mine).toMatchObject({ content: 'mine', version: 3 });
    expect(notes.events[0]!.previous).toMatchObject({ content: 'theirs' });

    notes.beforeWrite = () => Object.assign(store.notes.get(NOTE)!, { content: 'again', version: 4 });
    const stale = await rejection(updateNote(deps, as.rep(), NOTE, { content: 'late' }, 3));
    expect((stale as VersionMismatchError).current).toMatchObject({ content: 'again', version: 4 });
  });

  it('deletes with note.deleted, after which the note is not found', async () => {
    const { deps, notes, as } = setup(repNote());
    await deleteNote(deps, as.manager(), NOTE);
    expect(eventTypes(notes.events)).toEqual(['note.deleted']);
    expect(notes.events[0]!.data).toMatchObject({ id: NOTE, content_truncated: false });
    expect(await rejection(getNote(deps, as.rep(), NOTE))).toBeInstanceOf(NotFoundError);
  });
});

describe('listing notes', () => {
  it("gives a record's notes newest first, paged, once the caller is known to see the record", async () => {
    const { deps, as } = setup(
      makeNote(testId(100), REP_DEAL, { content: 'n1' }),
      makeNote(testId(101), REP_DEAL, { content: 'n2' }),
      makeNote(testId(102), REP_DEAL, { content: 'n3' }),
      makeNote(testId(103), REP_LEAD, { content: 'elsewhere' }),
    );
    const first = await listNotes(deps, as.rep(), { limit: 2, ...REP_DEAL });
    const second = await listNotes(deps, as.rep(), { limit: 2, cursor: first.next_cursor!, ...REP_DEAL });
    expect([...first.items, ...second.items].map((n) => n.content)).toEqual(['n3', 'n2', 'n1']);
    expect(second.next_cursor).toBeNull();
    expect((await listRecordNotes(deps, as.manager(), REP_DEAL, { limit: 10 })).items).toHaveLength(3);
    expect(await rejection(listNotes(deps, as.peer(), { limit: 2, ...REP_DEAL }))).toBeInstanceOf(NotFoundError);
    expect(await rejection(listRecordNotes(deps, as.peer(), REP_DEAL, { limit: 2 }))).toBeInstanceOf(NotFoundError);
  });

  it('needs resource_type and resource_id together, naming the missing one', async () => {
    const { deps, as } = setup();
    expect(await fieldsOf(listNotes(deps, as.rep(), { limit: 2, resource_type: 'deal' }))).toEqual(['query.resource_id']);
    expect(await fieldsOf(listNotes(deps, as.rep(), { limit: 2, resource_id: testId(30) }))).toEqual(['query.resource_type']);
  });

  it("gives the caller's own notes newest first, only on records they still see, in one batch read of owners", async () => {
    const { store, deps, as } = setup(
      makeNote(testId(100), REP_DEAL, { creator_id: REP.id, content: 'a' }),
      makeNote(testId(101), REP_CONTACT, { creator_id: REP.id, content: 'b' }),
      makeNote(testId(102), REP_LEAD, { creator_id: REP.id, content: 'c' }),
      makeNote(testId(103), REP_DEAL, { creator_id: MANAGER.id, content: 'not mine' }),
    );
    store.contacts.get(REP_CONTACT.resource_id)!.owner_id = PEER.id;
    const page = await listNotes(deps, as.rep(), { limit: 10 });
    expect(page.items.map((n) => n.content)).toEqual(['c', 'a']);
    expect(deps.records.reads).toEqual(['ownersOf']);
  });
});
