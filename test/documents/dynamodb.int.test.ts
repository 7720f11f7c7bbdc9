import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDocumentRepository } from '#shared/documents/dynamodb.ts';
import type { FileStore, StoredObject } from '#shared/documents/ports.ts';
import {
  checkDocumentUpload,
  createDocument,
  deleteDocument,
  getDocument,
  listRecordDocuments,
  type DocumentsDeps,
} from '#shared/documents/use-cases.ts';
import { ForbiddenError, NotFoundError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import type { RelatedRecordType } from '#shared/kernel/related-records.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { rejection } from '#test/helpers/fakes.ts';
import { putOwnedRecord, testOrg, type Who } from '#test/helpers/org.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';

// Documents against DynamoDB Local, through the use cases: visibility through the record's
// owner, the record re-checked inside the write, lists as single Queries, the upload check's
// state changes and the conversion's moves. The bucket is an in-memory FileStore (the real one
// is exercised over the local cloud: documents.e2e.test.ts).

class MemoryFiles implements FileStore {
  readonly objects = new Map<string, { bytes: Buffer; contentType?: string; filename?: string }>();
  async uploadUrl(key: string, o: { contentType: string; size: number; seconds: number }) {
    return `memory://put/${key}?type=${o.contentType}&size=${o.size}&ttl=${o.seconds}`;
  }
  async downloadUrl(key: string, o: { filename: string; seconds: number }) {
    return `memory://get/${key}?name=${o.filename}&ttl=${o.seconds}`;
  }
  async head(key: string): Promise<StoredObject | undefined> {
    const o = this.objects.get(key);
    return o && { size: o.bytes.length };
  }
  async readStart(key: string, bytes: number) {
    return new Uint8Array(this.objects.get(key)!.bytes.subarray(0, bytes));
  }
  async copy(from: string, to: string, o: { contentType: string; filename: string }) {
    this.objects.set(to, { bytes: this.objects.get(from)!.bytes, ...o });
  }
  async delete(key: string) {
    this.objects.delete(key);
  }
}

let table: Table;
let deps: DocumentsDeps;
let files: MemoryFiles;
let repo: DynamoDocumentRepository;
const meter = new CountingMeter();

const org = testOrg();
const { ids } = org;
const call = (who: Who) => org.call(who);
const system = () => ({ actor_id: 'system', correlation_id: 'test', now: new Date(), newId: () => newId() });

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
  files = new MemoryFiles();
  repo = new DynamoDocumentRepository(table);
  deps = { documents: repo, records: new DynamoRecordOwners(table), files, clock: systemClock };
});

const record = (type: RelatedRecordType, owner: Who) => putOwnedRecord(table, type, ids[owner]);

const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(size - 9, 0x20)]);

describe('documents on DynamoDB', () => {
  it('creates a pending document on a visible record in one GetItem and one transaction, with an upload URL', async () => {
    const contact = await record('contact', 'rep1');
    meter.reset();
    const created = await createDocument(deps, call('rep1'), {
      ...contact,
      filename: 'a.pdf',
      content_type: 'application/pdf',
      size: 100,
    });
    expect(meter.calls.map((c) => c.operation)).toEqual(['GetItem', 'TransactWriteItems']);
    expect(created.document).toMatchObject({ status: 'pending', creator_id: ids.rep1, version: 1 });
    expect(created.upload.url).toBe(`memory://put/uploads/${created.document.id}?type=application/pdf&size=100&ttl=300`);
    expect(created.upload.headers).toEqual({ 'content-type': 'application/pdf', 'content-length': '100' });
    expect(await getDocument(deps, call('rep1'), created.document.id)).toEqual({ document: created.document, download: null });
    expect(await rejection(getDocument(deps, call('rep2'), created.document.id))).toBeInstanceOf(NotFoundError);
    expect(
      await rejection(
        createDocument(deps, call('rep2'), { ...contact, filename: 'b.pdf', content_type: 'application/pdf', size: 1 }),
      ),
    ).toBeInstanceOf(NotFoundError);
  });

  it('the check makes a matching upload available (copied to its stored key) and rejects and deletes a wrong one; a redelivery does nothing', async () => {
    const contact = await record('contact', 'rep1');
    const good = await createDocument(deps, call('rep1'), {
      ...contact,
      filename: 'g.pdf',
      content_type: 'application/pdf',
      size: 64,
    });
    const bad = await createDocument(deps, call('rep1'), {
      ...contact,
      filename: 'b.pdf',
      content_type: 'application/pdf',
      size: 64,
    });
    files.objects.set(`uploads/${good.document.id}`, { bytes: pdf(64) });
    files.objects.set(`uploads/${bad.document.id}`, { bytes: Buffer.from('<html>'.padEnd(64, ' ')) });

    expect(await checkDocumentUpload(deps, system(), `uploads/${good.document.id}`)).toBe('available');
    expect(await checkDocumentUpload(deps, system(), `uploads/${bad.document.id}`)).toBe('rejected');
    expect(await checkDocumentUpload(deps, system(), `uploads/${good.document.id}`)).toBe('already_checked');
    expect([...files.objects.keys()]).toEqual([`documents/${good.document.id}`]);
    expect(files.objects.get(`documents/${good.document.id}`)).toMatchObject({
      contentType: 'application/pdf',
      filename: 'g.pdf',
    });

    const view = await getDocument(deps, call('manager'), good.document.id);
    expect(view.document).toMatchObject({ status: 'available', version: 2, size: 64 });
    expect(view.download?.url).toBe(`memory://get/documents/${good.document.id}?name=g.pdf&ttl=60`);
    expect((await getDocument(deps, call('rep1'), bad.document.id)).document).toMatchObject({
      status: 'rejected',
      rejection_reason: 'type_mismatch',
    });
    // An upload with no document (forged, or deleted meanwhile) is deleted.
    const stray = `uploads/${newId()}`;
    files.objects.set(stray, { bytes: pdf(20) });
    expect(await checkDocumentUpload(deps, system(), stray)).toBe('orphan_deleted');
    expect(files.objects.has(stray)).toBe(false);
    expect(await checkDocumentUpload(deps, system(), 'documents/whatever')).toBe('not_an_upload');
  });

  it("lists a record's documents newest first in one Query a page, for whoever sees the record", async () => {
    const deal = await record('deal', 'rep2');
    const made = [];
    for (const name of ['1.txt', '2.txt', '3.txt']) {
      made.push(
        (await createDocument(deps, call('rep2'), { ...deal, filename: name, content_type: 'text/plain', size: 3 })).document,
      );
    }
    meter.reset();
    const page = await listRecordDocuments(deps, call('manager'), deal, { limit: 2 });
    expect(page.items.map((d) => d.filename)).toEqual(['3.txt', '2.txt']);
    expect(meter.calls.map((c) => c.operation)).toEqual(['GetItem', 'Query']);
    const rest = await listRecordDocuments(deps, call('manager'), deal, { limit: 2, cursor: page.next_cursor! });
    expect(rest.items.map((d) => d.filename)).toEqual(['1.txt']);
    expect(await rejection(listRecordDocuments(deps, call('rep1'), deal, { limit: 2 }))).toBeInstanceOf(NotFoundError);
  });

  it('deletes a document and its bytes, by its creator or their manager only', async () => {
    const contact = await record('contact', 'rep1');
    const doc = (await createDocument(deps, call('rep1'), { ...contact, filename: 'd.txt', content_type: 'text/plain', size: 3 }))
      .document;
    files.objects.set(`uploads/${doc.id}`, { bytes: Buffer.from('abc') });
    await checkDocumentUpload(deps, system(), `uploads/${doc.id}`);
    expect(files.objects.has(`documents/${doc.id}`)).toBe(true);
    // The admin gave rep2 sight of the record: still not rep2's document to delete.
    await table.write([
      { type: 'update', key: recordKey('contact', contact.resource_id), update: 'SET owner_id = :o', values: { ':o': ids.rep2 } },
    ]);
    expect(await rejection(deleteDocument(deps, call('rep2'), doc.id))).toBeInstanceOf(ForbiddenError);
    await deleteDocument(deps, call('manager'), doc.id);
    expect(files.objects.has(`documents/${doc.id}`)).toBe(false);
    expect(await repo.get(doc.id)).toBeUndefined();
  });

  it('moves every document of a lead to the contact, as a conversion does', async () => {
    const lead = await record('lead', 'rep1');
    const contact = await record('contact', 'rep1');
    const docs = [];
    for (const name of ['x.txt', 'y.txt']) {
      docs.push(
        (await createDocument(deps, call('rep1'), { ...lead, filename: name, content_type: 'text/plain', size: 1 })).document,
      );
    }
    await repo.moveAll(lead, contact, new Date().toISOString());
    expect((await listRecordDocuments(deps, call('rep1'), lead, { limit: 10 })).items).toEqual([]);
    const moved = await listRecordDocuments(deps, call('rep1'), contact, { limit: 10 });
    expect(moved.items.map((d) => [d.id, d.resource_type, d.version])).toEqual(docs.reverse().map((d) => [d.id, 'contact', 2]));
  });
});
