import type { DevUser } from '#infra/local/seed.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Imports are their creator's: the matrix calls these routes on an import the caller, a direct
// report or someone else created (with its file uploaded), and expects 404 where the creator is
// out of reach.

/** An import of two leads the owner created and uploaded. */
async function importOf(f: Fixtures, owner: DevUser): Promise<{ id: string }> {
  const csv = Buffer.from(`Last Name,Email\r\nMatrix ${f.unique()},m${f.unique()}@example.com\r\nOther,\r\n`, 'utf8');
  const res = await f.api('POST', '/imports', {
    token: owner.token,
    body: { resource: 'leads', filename: 'matrix.csv', size: csv.length },
  });
  if (res.status !== 201) throw new Error(`setup POST /imports failed: ${res.status} ${JSON.stringify(res.body)}`);
  const put = await fetch(res.body.upload.url, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: csv });
  await put.arrayBuffer();
  if (put.status !== 200) throw new Error(`setup PUT of the import file failed: ${put.status}`);
  return res.body.import;
}

export const importCases: Record<string, RouteCase> = {
  createImport: {
    kind: 'unowned',
    call: async () => ({ path: '/imports', body: { resource: 'contacts', filename: 'c.csv', size: 100 } }),
  },
  getImport: { kind: 'owned', call: async (f, owner) => ({ path: `/imports/${(await importOf(f, owner)).id}` }) },
  dryRunImport: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/imports/${(await importOf(f, owner)).id}/dry_run`, body: {} }),
  },
  startImport: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/imports/${(await importOf(f, owner)).id}/start`, body: {} }),
  },
};
