import { describe, expect, it } from 'vitest';
import { createDealRoute } from '#shared/deals/routes.ts';
import { createExportRoute, getExportRoute } from '#shared/exports/routes.ts';
import { csvRows } from '#shared/imports/csv.ts';
import { listActivitiesRoute } from '#shared/activities/routes.ts';
import { listNotificationsRoute } from '#shared/notifications/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// A CSV export over the local cloud end to end: POST /exports as a rep with a filter, the
// export-worker draining the export queue (its event source, its own role at the IAM gates),
// the file written to the files bucket, downloaded through the presigned GET; the rep's
// export_finished web notification and feed entry.

const session = useTestCloud();
const { call } = session;

async function until<T>(what: string, timeoutMs: number, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await read();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('CSV export', () => {
  it("exports a rep's filtered deal list: only the rep's deals, a BOM and the accents intact, then notifies the rep", async () => {
    const tag = `export-${Date.now().toString(36)}`;
    const deal = async (as: string, name: string, tags: string[]) =>
      bodyOf(await call(createDealRoute, { as, body: { name, tags } }), 201);
    const mine = [await deal('rep1', 'Société Générale', [tag]), await deal('rep1', 'Łódź Logistics', [tag])];
    await deal('rep1', 'Untagged deal of rep1', []);
    await deal('rep2', 'Deal of rep2 with the tag', [tag]);

    const queued = bodyOf(
      await call(createExportRoute, {
        as: 'rep1',
        body: { resource: 'deals', filters: { tags: tag, sort_by: 'name', sort_order: 'asc' } },
      }),
      202,
    );
    expect(queued).toMatchObject({ resource: 'deals', status: 'queued', filters: { tags: tag } });
    // Nobody else's: another rep gets 404.
    expect((await call(getExportRoute, { as: 'rep2', params: { id: queued.id } })).status).toBe(404);

    const view = await until('the export done', 120_000, async () => {
      const read = bodyOf(await call(getExportRoute, { as: 'rep1', params: { id: queued.id } }), 200);
      expect(read.export.status).not.toBe('failed');
      return read.export.status === 'done' ? read : undefined;
    });
    expect(view.export.rows).toBe(2);

    const file = await fetch(view.download!.url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="deals-\d{4}-\d{2}-\d{2}\.csv"/);
    // Bytes, not text(): fetch's text() drops a byte order mark.
    const bytes = Buffer.from(await file.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('Société Générale');
    expect(bytes.toString('utf8')).toContain('Łódź Logistics');
    const rows: string[][] = [];
    for await (const row of csvRows([bytes])) rows.push(row);
    const header = rows[0]!;
    expect(rows.slice(1).map((r) => r[header.indexOf('id')])).toEqual(mine.map((d) => d.id));
    expect(rows.slice(1).map((r) => r[header.indexOf('owner_email')])).toEqual([
      session.users.rep1!.email,
      session.users.rep1!.email,
    ]);

    const item = await until('the export_finished notification', 30_000, async () => {
      const inbox = bodyOf(await call(listNotificationsRoute, { as: 'rep1', query: { limit: 50 } }), 200);
      return inbox.items.find((n) => n.kind === 'export_finished' && n.records.some((r) => r.id === queued.id));
    });
    expect(item.records).toEqual([{ type: 'export', id: queued.id, name: queued.filename }]);
    const feed = await until('the feed entry', 30_000, async () => {
      const page = bodyOf(await call(listActivitiesRoute, { as: 'rep1', query: { limit: 50 } }), 200);
      return page.items.find((a) => a.record.type === 'export' && a.record.id === queued.id);
    });
    expect(feed).toMatchObject({ verb: 'exported', actor_id: session.id('rep1'), owner_id: session.id('rep1') });
  }, 300_000);
});
