import { beforeAll, describe, expect, it } from 'vitest';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { DynamoNoteRepository, noteMoveOps } from '#shared/notes/dynamodb.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import {
  createNote,
  deleteNote,
  getNote,
  listNotes,
  listRecordNotes,
  updateNote,
  type NotesDeps,
} from '#shared/notes/use-cases.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  VersionMismatchError,
  type ValidationError,
} from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { NOTE_EVENT_CONTENT_MAX, type Note } from '#shared/notes/domain.ts';
import type { RelatedRecordType } from '#shared/kernel/related-records.ts';
import { putOwnedRecord, testOrg, type Who } from '#test/helpers/org.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';
import { rejection } from '#test/helpers/fakes.ts';

// Notes against DynamoDB Local, through the use cases: visibility through the record's owner
// (one GetItem), the record re-checked inside the write, lists as single Queries, and the
// move writes lead conversion will use.

let table: Table;
let deps: NotesDeps;
let repo: CapturingNotes;
const meter = new CountingMeter();

const org = testOrg();
const { ids } = org;
const call = (who: Who) => org.call(who);

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
  repo = new CapturingNotes(table);
  deps = { notes: repo, records: new DynamoRecordOwners(table) };
});

const record = (type: RelatedRecordType, owner: Who) => putOwnedRecord(table, type, ids[owner]);

async function setOwner(ref: { resource_type: RelatedRecordType; resource_id: string }, owner: Who) {
  await table.write([
    {
      type: 'update',
      key: recordKey(ref.resource_type, ref.resource_id),
      update: 'SET owner_id = :o',
      values: { ':o': ids[owner] },
    },
  ]);
}

/** The adapter, remembering the events it was asked to write (to find their outbox items). */
class CapturingNotes extends DynamoNoteRepository {
  readonly events: DomainEvent[] = [];
  override async create(note: Note, recordOwnerId: string, events: DomainEvent[]) {
    this.events.push(...events);
    return super.create(note, recordOwnerId, events);
  }
  override async update(before: Note, after: Note, events: DomainEvent[]) {
    this.events.push(...events);
    return super.update(before, after, events);
  }
  override async delete(note: Note, events: DomainEvent[]) {
    this.events.push(...events);
    return super.delete(note, events);
  }
}

/** The last event written, as the outbox item holds it. */
async function lastEvent(): Promise<DomainEvent> {
  const item = await table.get({ pk: `event#${repo.events.at(-1)!.metadata.event_id}`, sk: 'event' });
  return JSON.parse(String(item?.event)) as DomainEvent;
}

describe('creating a note', () => {
  it("writes it with its note.created event after one read of the record's owner", async () => {
    const deal = await record('deal', 'rep1');
    meter.reset();
    const note = await createNote(deps, call('rep1'), { content: 'Called, wants a quote', ...deal });
    // The owner's read, the note's Sell id (its sequence, one UpdateItem), the write.
    expect(meter.calls.map((c) => c.operation)).toEqual(['GetItem', 'UpdateItem', 'TransactWriteItems']);
    expect(note).toMatchObject({ ...deal, content: 'Called, wants a quote', creator_id: ids.rep1, version: 1 });
    expect(await repo.get(note.id)).toEqual(note);
    const event = await lastEvent();
    expect(event.metadata).toMatchObject({ event_type: 'note.created', resource_type: 'note', resource_id: note.id });
    expect(event.data).toEqual({ ...note, content_truncated: false });
  });

  it("answers 404 naming the record for someone else's record, and for an unknown one, writing nothing", async () => {
    const theirs = await record('deal', 'rep2');
    const error = await rejection(createNote(deps, call('rep1'), { content: 'x', ...theirs }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).detail).toEqual({ resource: 'deal', id: theirs.resource_id });
    const unknown = await rejection(
      createNote(deps, call('admin'), { content: 'x', resource_type: 'lead', resource_id: newId() }),
    );
    expect((unknown as NotFoundError).detail).toMatchObject({ resource: 'lead' });
    expect((await repo.ofRecord(theirs, { limit: 10 })).items).toEqual([]);
  });

  it('attaches to leads and contacts stored as "<type>#<id>" / "<type>", as their modules will write them', async () => {
    for (const type of ['lead', 'contact'] as const) {
      const ref = await record(type, 'rep2');
      const note = await createNote(deps, call('manager'), { content: `On a ${type}`, ...ref });
      expect((await listRecordNotes(deps, call('rep2'), ref, { limit: 5 })).items).toEqual([note]);
      expect(await rejection(getNote(deps, call('rep1'), note.id))).toBeInstanceOf(NotFoundError);
    }
  });

  it('re-checks the record inside the write: gone meanwhile is 404, a new owner meanwhile is 409', async () => {
    const deal = await record('deal', 'rep1');
    // The owner read happened before the record changed: a stand-in that answers the old owner.
    const stale: NotesDeps = { ...deps, records: { ownerOf: async () => ids.rep1, ownersOf: async () => new Map() } };
    await setOwner(deal, 'solo');
    expect(await rejection(createNote(stale, call('rep1'), { content: 'x', ...deal }))).toBeInstanceOf(ConflictError);
    await table.write([{ type: 'remove', key: recordKey('deal', deal.resource_id) }]);
    const gone = await rejection(createNote(stale, call('rep1'), { content: 'x', ...deal }));
    expect(gone).toBeInstanceOf(NotFoundError);
    expect((gone as NotFoundError).detail).toEqual({ resource: 'deal', id: deal.resource_id });
    expect((await repo.ofRecord(deal, { limit: 10 })).items).toEqual([]);
  });
});

describe('reading a note', () => {
  it('follows the record: its owner, their manager and admins see it; others get 404, as for an unknown id', async () => {
    const deal = await record('deal', 'rep1');
    const note = await createNote(deps, call('rep1'), { content: 'x', ...deal });
    expect(await getNote(deps, call('manager'), note.id)).toEqual(note);
    expect(await getNote(deps, call('admin'), note.id)).toEqual(note);
    for (const who of ['rep2', 'solo'] as const) {
      expect(await rejection(getNote(deps, call(who), note.id))).toBeInstanceOf(NotFoundError);
    }
    // The deal changes hands: its notes go with it, whoever wrote them.
    await setOwner(deal, 'solo');
    expect(await rejection(getNote(deps, call('rep1'), note.id))).toBeInstanceOf(NotFoundError);
    expect(await getNote(deps, call('solo'), note.id)).toEqual(note);
    // A note whose record is gone is gone too.
    await table.write([{ type: 'remove', key: recordKey('deal', deal.resource_id) }]);
    expect(await rejection(getNote(deps, call('admin'), note.id))).toBeInstanceOf(NotFoundError);
  });
});

describe('changing a note', () => {
  it('lets the creator and their manager change it, not the record owner when someone else wrote it', async () => {
    const deal = await record('deal', 'rep1');
    const mine = await createNote(deps, call('rep1'), { content: 'v1', ...deal });
    const v2 = await updateNote(deps, call('rep1'), mine.id, { content: 'v2' });
    expect(v2).toMatchObject({ content: 'v2', version: 2 });
    expect(await updateNote(deps, call('manager'), mine.id, { content: 'v3' })).toMatchObject({ content: 'v3', version: 3 });

    const coaching = await createNote(deps, call('manager'), { content: 'Push for Q4', ...deal });
    const refused = await rejection(updateNote(deps, call('rep1'), coaching.id, { content: 'no' }));
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect((refused as Error).message).toMatch(/creator/);
    expect(await rejection(deleteNote(deps, call('rep1'), coaching.id))).toBeInstanceOf(ForbiddenError);
    expect(await rejection(updateNote(deps, call('rep2'), coaching.id, { content: 'no' }))).toBeInstanceOf(NotFoundError);
    expect(await updateNote(deps, call('admin'), coaching.id, { content: 'Push for Q1' })).toMatchObject({ version: 2 });
  });

  it('publishes note.updated with the old text (cut to 1,000 characters) as previous', async () => {
    const deal = await record('deal', 'rep1');
    const long = 'z'.repeat(NOTE_EVENT_CONTENT_MAX + 10);
    const note = await createNote(deps, call('rep1'), { content: long, ...deal });
    expect((await lastEvent()).data).toMatchObject({ content_truncated: true });
    await updateNote(deps, call('rep1'), note.id, { content: 'short' });
    const event = await lastEvent();
    expect(event.metadata.event_type).toBe('note.updated');
    expect(event.data).toMatchObject({ content: 'short', content_truncated: false, version: 2 });
    expect(event.previous).toEqual({ content: 'z'.repeat(NOTE_EVENT_CONTENT_MAX), content_truncated: true });
  });

  it('answers a stale If-Match with the current note, and changes nothing for the same text', async () => {
    const deal = await record('deal', 'rep1');
    const note = await createNote(deps, call('rep1'), { content: 'a', ...deal });
    await updateNote(deps, call('rep1'), note.id, { content: 'b' });
    const stale = await rejection(updateNote(deps, call('rep1'), note.id, { content: 'c' }, 1));
    expect(stale).toBeInstanceOf(VersionMismatchError);
    expect((stale as VersionMismatchError).current).toMatchObject({ content: 'b', version: 2 });
    expect(await updateNote(deps, call('rep1'), note.id, { content: 'b' })).toMatchObject({ version: 2 });
    expect(await rejection(deleteNote(deps, call('rep1'), note.id, 1))).toBeInstanceOf(VersionMismatchError);
  });

  it('deletes with note.deleted', async () => {
    const deal = await record('deal', 'rep2');
    const note = await createNote(deps, call('rep2'), { content: 'bye', ...deal });
    await deleteNote(deps, call('manager'), note.id);
    expect(await repo.get(note.id)).toBeUndefined();
    expect((await lastEvent()).metadata.event_type).toBe('note.deleted');
    expect(await rejection(getNote(deps, call('rep2'), note.id))).toBeInstanceOf(NotFoundError);
  });
});

describe('listing notes', () => {
  it("gives a record's notes newest first in one Query per page, after one read of the record", async () => {
    const deal = await record('deal', 'rep1');
    const notes = [];
    for (const n of [1, 2, 3])
      notes.push(await createNote(deps, call(n === 2 ? 'manager' : 'rep1'), { content: `n${n}`, ...deal }));
    meter.reset();
    const first = await listNotes(deps, call('rep1'), { limit: 2, ...deal });
    expect(meter.calls.map((c) => c.operation)).toEqual(['GetItem', 'Query']);
    const second = await listNotes(deps, call('rep1'), { limit: 2, cursor: first.next_cursor!, ...deal });
    expect([...first.items, ...second.items].map((n) => n.content)).toEqual(['n3', 'n2', 'n1']);
    expect(second.next_cursor).toBeNull();
    expect(await rejection(listNotes(deps, call('rep2'), { limit: 2, ...deal }))).toBeInstanceOf(NotFoundError);
    const half = await rejection(listNotes(deps, call('rep1'), { limit: 2, resource_type: 'deal' }));
    expect((half as ValidationError).problems[0]!.field).toBe('query.resource_id');
  });

  it("gives the caller's own notes newest first, only on records they still see, in one Query and one batch read", async () => {
    const kept = await record('deal', 'solo');
    const handed = await record('contact', 'solo');
    const a = await createNote(deps, call('solo'), { content: 'a', ...kept });
    await createNote(deps, call('solo'), { content: 'b', ...handed });
    const c = await createNote(deps, call('solo'), { content: 'c', ...kept });
    await setOwner(handed, 'rep2');
    meter.reset();
    const page = await listNotes(deps, call('solo'), { limit: 10 });
    expect(meter.calls.map((x) => x.operation)).toEqual(['Query', 'BatchGetItem']);
    expect(page.items).toEqual([c, a]);
  });
});

describe('moving notes (lead conversion)', () => {
  it("re-points every note of a record in the caller's transaction, and refuses a stale one", async () => {
    const lead = await record('lead', 'rep1');
    const contact = await record('contact', 'rep1');
    for (const n of [1, 2, 3]) await createNote(deps, call('rep1'), { content: `n${n}`, ...lead });
    const { items, truncated } = await repo.notesOf(lead, 100);
    expect([items.length, truncated]).toEqual([3, false]);
    expect((await repo.notesOf(lead, 2)).truncated).toBe(true);

    const at = new Date().toISOString();
    await table.write(items.flatMap((note) => noteMoveOps(note, contact, at)));
    expect((await repo.ofRecord(lead, { limit: 10 })).items).toEqual([]);
    const moved = (await repo.ofRecord(contact, { limit: 10 })).items;
    expect(moved.map((n) => n.content)).toEqual(['n3', 'n2', 'n1']);
    expect(moved.every((n) => n.version === 2 && n.updated_at === at && n.resource_type === 'contact')).toBe(true);
    expect(await rejection(table.write(noteMoveOps(items[0]!, lead)))).toBeInstanceOf(VersionMismatchError);
  });
});
