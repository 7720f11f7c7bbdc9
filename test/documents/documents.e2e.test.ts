import { describe, expect, it } from 'vitest';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { localS3Client } from '#infra/local/s3.ts';
import { loadConfig } from '#infra/config/load.ts';
import { filesCorsOrigins } from '#infra/functions.ts';
import { listContactActivitiesRoute } from '#shared/activities/routes.ts';
import { createContactRoute } from '#shared/contacts/routes.ts';
import {
  createDocumentRoute,
  deleteDocumentRoute,
  getDocumentRoute,
  listContactDocumentsRoute,
  listLeadDocumentsRoute,
} from '#shared/documents/routes.ts';
import { convertLeadRoute } from '#shared/lead-conversion/routes.ts';
import { createLeadRoute } from '#shared/leads/routes.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// Documents over the local cloud end to end: the API mints a presigned PUT, the test uploads
// the bytes to it (through the S3 IAM gate to the emulator), the emulator path raises S3's
// Object Created on the local bus, the document-check function measures and sniffs the file,
// and the API then mints a presigned GET served as an attachment.

const busEvents: BusEvent[] = [];
const { call, cloud } = (() => {
  const session = useTestCloud({
    extraRules: [
      {
        name: 'test-documents',
        pattern: { source: ['crm'], 'detail-type': [{ prefix: 'document.' }] },
        target: async (e) => void busEvents.push(e),
      },
    ],
  });
  return { call: session.call, cloud: () => session.cloud };
})();

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2000, 0x41), Buffer.from('\n%%EOF\n')]);

const newContact = async (who: string) =>
  bodyOf(await call(createContactRoute, { as: who, body: { last_name: `Doc ${Math.random().toString(36).slice(2)}` } }), 201);

async function addDocument(
  who: string,
  resource: { resource_type: 'lead' | 'contact' | 'deal'; resource_id: string },
  file: { filename: string; content_type: string; size: number },
) {
  return bodyOf(await call(createDocumentRoute, { as: who, body: { ...resource, ...file } as never }), 201);
}

/** PUTs `bytes` to the presigned upload URL with the headers it was signed for (`contentLength` may lie: the emulator does not check it). */
async function upload(created: { upload: { url: string; headers: Record<string, string> } }, bytes: Buffer): Promise<number> {
  const res = await fetch(created.upload.url, {
    method: 'PUT',
    headers: { 'content-type': created.upload.headers['content-type']! },
    body: bytes,
  });
  await res.arrayBuffer();
  return res.status;
}

async function settled(who: string, id: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await call(getDocumentRoute, { as: who, params: { id } });
    expectStatus(res, 200);
    if (res.body.document.status !== 'pending' || Date.now() > deadline) return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function objectExists(key: string): Promise<boolean> {
  const s3 = localS3Client(cloud().iam.upstreams.s3!, 'eu-west-1');
  try {
    await s3.send(new HeadObjectCommand({ Bucket: cloud().names.filesBucketName, Key: key }));
    return true;
  } catch {
    return false;
  } finally {
    s3.destroy();
  }
}

describe('documents on S3', () => {
  it('uploads a document to a contact; it becomes available and downloads as an attachment for its owner, 404 for another rep', async () => {
    const contact = await newContact('rep1');
    const created = await addDocument(
      'rep1',
      { resource_type: 'contact', resource_id: contact.id },
      { filename: 'Quote été.pdf', content_type: 'application/pdf', size: PDF.length },
    );
    expect(created.document).toMatchObject({ status: 'pending', size: PDF.length, filename: 'Quote été.pdf' });
    expect(created.upload.method).toBe('PUT');
    expect(await upload(created, PDF)).toBe(200);

    const view = await settled('rep1', created.document.id);
    expect(view.document).toMatchObject({ status: 'available', rejection_reason: null, size: PDF.length, version: 2 });
    expect(view.download).not.toBeNull();
    const download = await fetch(view.download!.url);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(PDF)).toBe(true);
    expect(download.headers.get('content-disposition')).toMatch(
      /^attachment; filename="Quote _t_.pdf"; filename\*=UTF-8''Quote%20%C3%A9t%C3%A9.pdf$/,
    );
    expect(download.headers.get('content-type')).toBe('application/pdf');
    // The upload was moved to the stored key: nothing is left under uploads/.
    expect(await objectExists(`uploads/${created.document.id}`)).toBe(false);

    const listed = bodyOf(await call(listContactDocumentsRoute, { as: 'rep1', params: { id: contact.id }, query: {} }), 200);
    expect(listed.items.map((d) => d.id)).toEqual([created.document.id]);
    const other = await call(getDocumentRoute, { as: 'rep2', params: { id: created.document.id } });
    expectStatus(other, 404);
    expectStatus(await call(listContactDocumentsRoute, { as: 'rep2', params: { id: contact.id }, query: {} }), 404);
    expectStatus(await call(deleteDocumentRoute, { as: 'rep2', params: { id: created.document.id } }), 404);

    const types = busEvents
      .filter((e) => (e.detail as { metadata: { resource_id: string } }).metadata.resource_id === created.document.id)
      .map((e) => e['detail-type']);
    expect(types).toEqual(expect.arrayContaining(['document.created', 'document.available']));

    // The contact's timeline shows the document once available (the activity-feed consumer).
    const deadline = Date.now() + 5_000;
    let entries: { record: { type: string; id: string; name: string | null }; verb: string }[] = [];
    while (Date.now() < deadline) {
      entries = bodyOf(await call(listContactActivitiesRoute, { as: 'rep1', params: { id: contact.id }, query: {} }), 200).items;
      if (entries.some((e) => e.record.type === 'document')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(entries.filter((e) => e.record.type === 'document')).toEqual([
      expect.objectContaining({ verb: 'created', record: { type: 'document', id: created.document.id, name: 'Quote été.pdf' } }),
    ]);
  });

  it("answers the web app's CORS preflight and PUT as the bucket's CORS rule does", async () => {
    const origin = filesCorsOrigins(loadConfig())[0]!;
    const contact = await newContact('rep1');
    const created = await addDocument(
      'rep1',
      { resource_type: 'contact', resource_id: contact.id },
      { filename: 'cors.txt', content_type: 'text/plain', size: 4 },
    );
    const preflight = await fetch(created.upload.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    const put = await fetch(created.upload.url, {
      method: 'PUT',
      headers: { origin, 'content-type': 'text/plain' },
      body: 'cors',
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe(origin);
    const stranger = await fetch(created.upload.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('an expired presigned URL is refused by the S3 gate, as by S3', async () => {
    const contact = await newContact('rep1');
    const created = await addDocument(
      'rep1',
      { resource_type: 'contact', resource_id: contact.id },
      { filename: 'late.pdf', content_type: 'application/pdf', size: PDF.length },
    );
    const url = new URL(created.upload.url);
    url.searchParams.set('X-Amz-Date', '20200101T000000Z');
    const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/pdf' }, body: PDF });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Request has expired');
  });

  it('deletes and rejects an upload larger than declared, and one whose bytes are not its declared type', async () => {
    const contact = await newContact('rep1');
    const resource = { resource_type: 'contact' as const, resource_id: contact.id };
    const oversize = await addDocument('rep1', resource, { filename: 'big.pdf', content_type: 'application/pdf', size: 100 });
    expect(await upload(oversize, PDF)).toBe(200);
    const html = await addDocument('rep1', resource, { filename: 'invoice.pdf', content_type: 'application/pdf', size: 40 });
    expect(await upload(html, Buffer.from('<html><script>alert(1)</script></html>\n'.padEnd(40, ' ')))).toBe(200);

    const big = await settled('rep1', oversize.document.id);
    expect(big.document).toMatchObject({ status: 'rejected', rejection_reason: 'size_mismatch', size: PDF.length });
    expect(big.download).toBeNull();
    const wrong = await settled('rep1', html.document.id);
    expect(wrong.document).toMatchObject({ status: 'rejected', rejection_reason: 'type_mismatch' });
    for (const id of [oversize.document.id, html.document.id]) {
      expect(await objectExists(`uploads/${id}`)).toBe(false);
      expect(await objectExists(`documents/${id}`)).toBe(false);
    }
  });

  it("moves a lead's documents to the contact it converts into", async () => {
    const lead = bodyOf(await call(createLeadRoute, { as: 'rep1', body: { last_name: 'Converted', first_name: 'Doc' } }), 201);
    const created = await addDocument(
      'rep1',
      { resource_type: 'lead', resource_id: lead.id },
      { filename: 'notes.txt', content_type: 'text/plain', size: 12 },
    );
    expect(await upload(created, Buffer.from('hello, world'))).toBe(200);
    expect((await settled('rep1', created.document.id)).document.status).toBe('available');

    const converted = bodyOf(await call(convertLeadRoute, { as: 'rep1', params: { id: lead.id }, body: {} }), 200);
    const contactId = converted.contact.id;
    const moved = bodyOf(await call(listContactDocumentsRoute, { as: 'rep1', params: { id: contactId }, query: {} }), 200);
    expect(moved.items.map((d) => [d.id, d.resource_type, d.resource_id])).toEqual([[created.document.id, 'contact', contactId]]);
    const left = bodyOf(await call(listLeadDocumentsRoute, { as: 'rep1', params: { id: lead.id }, query: {} }), 200);
    expect(left.items).toEqual([]);
    // Still downloadable from its new record.
    const view = await settled('rep1', created.document.id);
    expect(await (await fetch(view.download!.url)).text()).toBe('hello, world');

    expectStatus(await call(deleteDocumentRoute, { as: 'rep1', params: { id: created.document.id } }), 204);
    expect(await objectExists(`documents/${created.document.id}`)).toBe(false);
    expectStatus(await call(getDocumentRoute, { as: 'rep1', params: { id: created.document.id } }), 404);
  });
});
