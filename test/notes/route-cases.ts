import type { DevUser } from '#infra/local/seed.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Notes follow their record: the matrix calls these routes on a record owned by the caller, by
// a direct report and by someone else, and expects 404 wherever the owner is out of reach.
// The notes it changes are written by the record's owner (a note is changed by its creator,
// their manager or an admin, so the visibility policy decides here too).

export type RecordCollection = 'leads' | 'contacts' | 'deals';
const TYPE = { leads: 'lead', contacts: 'contact', deals: 'deal' } as const;

/** The smallest valid body of each record kind (leads and contacts use Sell's last_name). */
const recordBody = (collection: RecordCollection, f: Fixtures) =>
  collection === 'deals' ? { name: `Matrix ${f.unique()}` } : { last_name: `Matrix ${f.unique()}` };

/** A lead, contact or deal owned by `owner`, made by the admin. */
export async function recordOf(f: Fixtures, collection: RecordCollection, owner: DevUser) {
  const made = await f.asAdmin<{ id: string }>('POST', `/${collection}`, {
    ...recordBody(collection, f),
    owner_id: owner.user_id,
  });
  return { id: made.id, resource_type: TYPE[collection], resource_id: made.id };
}

/** A note the record's owner wrote on their own deal. */
async function noteOf(f: Fixtures, owner: DevUser): Promise<{ id: string }> {
  const deal = await recordOf(f, 'deals', owner);
  const res = await f.api('POST', '/notes', {
    token: owner.token,
    body: { content: `Note ${f.unique()}`, resource_type: deal.resource_type, resource_id: deal.resource_id },
  });
  if (res.status !== 201) throw new Error(`setup POST /notes failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const recordNotes = (collection: RecordCollection): RouteCase => ({
  kind: 'owned',
  call: async (f, owner) => ({ path: `/${collection}/${(await recordOf(f, collection, owner)).id}/notes?limit=5` }),
});

export const noteCases: Record<string, RouteCase> = {
  listNotes: { kind: 'unowned', call: async () => ({ path: '/notes?limit=5' }) },
  getNote: { kind: 'owned', call: async (f, owner) => ({ path: `/notes/${(await noteOf(f, owner)).id}` }) },
  createNote: {
    kind: 'owned',
    call: async (f, owner) => {
      const { resource_type, resource_id } = await recordOf(f, 'deals', owner);
      return { path: '/notes', body: { content: 'Matrix note', resource_type, resource_id } };
    },
  },
  updateNote: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/notes/${(await noteOf(f, owner)).id}`, body: { content: 'Changed' } }),
  },
  deleteNote: { kind: 'owned', call: async (f, owner) => ({ path: `/notes/${(await noteOf(f, owner)).id}` }) },
  listLeadNotes: recordNotes('leads'),
  listContactNotes: recordNotes('contacts'),
  listDealNotes: recordNotes('deals'),
};
