import type { DevUser } from '#infra/local/seed.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';
import { recordOf, type RecordCollection } from '#test/notes/route-cases.ts';

// Documents follow their record: the matrix calls these routes on a record owned by the caller,
// by a direct report and by someone else, and expects 404 wherever the owner is out of reach.
// The documents it reads or deletes are added by the record's owner.

/** A pending document the record's owner added to their own contact. */
async function documentOf(f: Fixtures, owner: DevUser): Promise<{ id: string }> {
  const contact = await recordOf(f, 'contacts', owner);
  const res = await f.api('POST', '/documents', {
    token: owner.token,
    body: { ...documentBody(), resource_type: contact.resource_type, resource_id: contact.resource_id },
  });
  if (res.status !== 201) throw new Error(`setup POST /documents failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.document;
}

const documentBody = () => ({ filename: 'quote.pdf', content_type: 'application/pdf', size: 1024 });

const recordDocuments = (collection: RecordCollection): RouteCase => ({
  kind: 'owned',
  call: async (f, owner) => ({ path: `/${collection}/${(await recordOf(f, collection, owner)).id}/documents?limit=5` }),
});

export const documentCases: Record<string, RouteCase> = {
  createDocument: {
    kind: 'owned',
    call: async (f, owner) => {
      const { resource_type, resource_id } = await recordOf(f, 'contacts', owner);
      return { path: '/documents', body: { ...documentBody(), resource_type, resource_id } };
    },
  },
  getDocument: { kind: 'owned', call: async (f, owner) => ({ path: `/documents/${(await documentOf(f, owner)).id}` }) },
  deleteDocument: { kind: 'owned', call: async (f, owner) => ({ path: `/documents/${(await documentOf(f, owner)).id}` }) },
  listLeadDocuments: recordDocuments('leads'),
  listContactDocuments: recordDocuments('contacts'),
  listDealDocuments: recordDocuments('deals'),
};
