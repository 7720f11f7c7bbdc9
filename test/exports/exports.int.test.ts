import { beforeAll, describe, expect, it } from 'vitest';
import { createCustomField } from '#shared/custom-fields/use-cases.ts';
import { customFieldAdapters } from '#shared/custom-fields/runtime.ts';
import { DynamoDealRepository } from '#shared/deals/dynamodb.ts';
import { dealCreatedEvent, dealReferences, listDeals } from '#shared/deals/use-cases.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { DynamoExportRepository } from '#shared/exports/dynamodb.ts';
import { exportSources } from '#shared/exports/runtime.ts';
import { createExport, runExportSlice, type ExportsDeps } from '#shared/exports/use-cases.ts';
import type { ExportFiles } from '#shared/exports/ports.ts';
import { exportListQueries } from '#shared/families.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { csvRows } from '#shared/imports/csv.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock, type Call } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { DynamoPipelineRepository } from '#shared/pipelines/dynamodb.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { makeUser } from '#test/helpers/fakes.ts';
import { useTestTable } from '#test/helpers/table.ts';
import { makeDeal } from '#test/deals/fakes.ts';
import { makePipeline, makeStage } from '#test/pipelines/fakes.ts';

// Exports against DynamoDB Local, as the export-worker runs them (its environment, the deals'
// own list use case with the list route's query schema, the job on the table): an export of a
// filtered list equals that list as its requester sees it, a rep's holding only the rep's
// deals and a manager's the team's too.

const admin = makeUser(newId(), { role: 'admin' });
const manager = makeUser(newId(), { role: 'manager' });
const repA = makeUser(newId(), { reports_to: manager.id, email: `a-${newId()}@example.com` });
const repB = makeUser(newId(), { reports_to: manager.id, email: `b-${newId()}@example.com` });
const outsider = makeUser(newId());

const principal = (u: typeof repA, reports: string[] = []): Principal => ({
  user_id: u.id,
  email: u.email,
  role: u.role,
  direct_reports: reports,
});
const as = (u: typeof repA, reports: string[] = []): Call =>
  callContext(principal(u, reports), 'test', systemClock, () => newId());

/** The files bucket in memory (S3 is the e2e's): parts, then the joined file. */
const objects = new Map<string, Buffer>();
const files: ExportFiles = {
  putPart: async (key, body) => void objects.set(key, Buffer.from(body, 'utf8')),
  join: async (parts, to) => void objects.set(to, Buffer.concat(parts.map((p) => objects.get(p)!))),
  delete: async (key) => void objects.delete(key),
  downloadUrl: async (key) => `https://files.example/${key}`,
};

let deps: ExportsDeps;
const stage = { qualified: makeStage(newId(), ''), proposal: makeStage(newId(), '') };

beforeAll(async () => {
  await useTestTable({ as: 'export-worker' });
  const table = crmTable();
  const users = new DynamoUserRepository(table);
  for (const u of [admin, manager, repA, repB, outsider]) await users.create(u, []);
  const pipeline = makePipeline(newId());
  stage.qualified = makeStage(stage.qualified.id, pipeline.id, { name: 'Qualified', position: 1 });
  stage.proposal = makeStage(stage.proposal.id, pipeline.id, { name: 'Proposal', position: 2 });
  await new DynamoPipelineRepository(table).createPipeline(pipeline, [stage.qualified, stage.proposal], []);
  const region = await createCustomField(
    { customFields: customFieldAdapters().customFields, catalog: customFieldAdapters().catalog },
    as(admin),
    'deal',
    { name: 'Région', type: 'string' },
  );
  const deals = new DynamoDealRepository(table);
  const put = async (owner: typeof repA, s: typeof stage.qualified, name: string, where = '') => {
    const deal = makeDeal(newId(), s, {
      name,
      owner_id: owner.id,
      creator_id: owner.id,
      last_stage_change_by_id: owner.id,
      custom_fields: where ? { [region.id]: where } : {},
    });
    await deals.create(deal, dealReferences(deal), [dealCreatedEvent(as(owner), deal)]);
  };
  await put(repA, stage.qualified, 'Société Générale', 'Łódź');
  await put(repA, stage.qualified, 'Łódź Sp. z o.o.');
  await put(repA, stage.proposal, 'Not in the filter');
  await put(repB, stage.qualified, 'Team mate deal');
  await put(outsider, stage.qualified, 'Outsider deal');
  const sent: string[] = [];
  deps = {
    exports: new DynamoExportRepository(table),
    files,
    queue: { send: async (m) => void sent.push(m.export_id) },
    sources: exportSources(exportListQueries),
    clock: systemClock,
  };
});

/** Exports the deals of the Qualified stage as `call`'s user and reads the file back. */
async function exported(call: Call): Promise<{ header: string[]; rows: string[][] }> {
  const view = await createExport(deps, call, {
    resource: 'deals',
    filters: { stage_id: stage.qualified.id, sort_by: 'name', sort_order: 'asc' },
  });
  const events = { actor_id: 'system', correlation_id: view.id, now: new Date(), newId };
  expect(await runExportSlice(deps, events, view.id)).toBe('finished');
  expect(await deps.exports.get(view.id)).toMatchObject({ status: 'done' });
  const bytes = objects.get(`exports/${view.id}.csv`)!;
  expect(bytes.subarray(0, 3).toString('hex')).toBe('efbbbf');
  const all: string[][] = [];
  for await (const r of csvRows([bytes])) all.push(r);
  return { header: all[0]!, rows: all.slice(1) };
}

describe('a deal export on DynamoDB Local', () => {
  it("holds only a rep's own deals of the filtered list, in the list's order, custom fields as columns", async () => {
    const { header, rows } = await exported(as(repA));
    const at = (row: string[], column: string) => row[header.indexOf(column)];
    expect(rows.map((r) => at(r, 'name'))).toEqual(['Société Générale', 'Łódź Sp. z o.o.']);
    expect(rows.map((r) => at(r, 'owner_email'))).toEqual([repA.email, repA.email]);
    expect(rows.map((r) => at(r, 'Région'))).toEqual(['Łódź', '']);
    // The same as the list itself answers the rep.
    const list = await listDeals(dealAdapters(), as(repA), {
      stage_id: stage.qualified.id,
      sort_by: 'name',
      sort_order: 'asc',
      limit: 100,
      raw: {},
    });
    expect(rows.map((r) => at(r, 'id'))).toEqual(list.items.map((d) => d.id));
  });

  it("holds the manager's team's deals too, never an outsider's", async () => {
    const { header, rows } = await exported(as(manager, [repA.id, repB.id]));
    expect(rows.map((r) => r[header.indexOf('name')])).toEqual(['Société Générale', 'Team mate deal', 'Łódź Sp. z o.o.']);
  });

  it('refuses a filter the list refuses, naming it', async () => {
    await expect(createExport(deps, as(repA), { resource: 'deals', filters: { colour: 'red' } })).rejects.toThrow(
      /filters.colour: is not a known filter/,
    );
  });
});
