import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '#shared/kernel/errors.ts';
import type { DomainEvent, EventContext } from '#shared/kernel/events.ts';
import type { Call } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { csvRows, csvText } from '#shared/imports/csv.ts';
import {
  importKeys,
  rowRecordId,
  type BatchResult,
  type ImportJob,
  type ImportMessage,
  type ImportResource,
} from '#shared/imports/domain.ts';
import type { CustomFieldDefinition, CustomFieldType } from '#shared/custom-fields/domain.ts';
import type { CreateOptions, ImportFiles, ImportQueue, ImportRepository, ImportTargets } from '#shared/imports/ports.ts';
import {
  createImport,
  dryRunImport,
  getImport,
  importBatch,
  planImport,
  startImport,
  type ImportsDeps,
} from '#shared/imports/use-cases.ts';

// The import's use cases over in-memory ports: the dry run's exact errors, the batches, the
// idempotent rows (a worker killed mid-batch, the batch delivered again), the counters, the
// error file and the finish event.

const admin: Principal = {
  user_id: '01ADMIN0000000000000000000',
  role: 'admin',
  team_id: null,
  direct_report_ids: [],
} as unknown as Principal;
const rep: Principal = {
  user_id: '01REP00000000000000000000A',
  role: 'user',
  team_id: null,
  direct_report_ids: [],
} as unknown as Principal;
const users = new Map([
  ['admin@example.com', admin.user_id],
  ['rep@example.com', rep.user_id],
]);

const definition = (name: string, type: CustomFieldType, choices: string[] | null = null): CustomFieldDefinition => ({
  id: `cf-${name}`,
  resource_type: 'lead',
  name,
  type,
  choices,
  filterable: false,
  value_count: 0,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  version: 1,
});

let counter = 0;
const newId = () => `01J${String(++counter).padStart(23, '0')}`;
const ctx = (principal: Principal): EventContext => ({
  actor_id: principal.user_id,
  correlation_id: 'c',
  now: new Date('2026-12-01T10:00:00Z'),
  newId,
});
const callOf = (principal: Principal): Call => ({ principal, events: ctx(principal) });

class Fakes {
  jobs = new Map<string, ImportJob>();
  batches = new Map<string, BatchResult>();
  events: DomainEvent[] = [];
  objects = new Map<string, string | Uint8Array>();
  queued: ImportMessage[] = [];
  records = new Map<
    string,
    { resource: ImportResource; input: Record<string, unknown>; events: EventContext; options?: CreateOptions }
  >();
  /** Users deactivated (activeUserIds leaves them out). */
  inactive = new Set<string>();
  /** Each activeUserIds call's ids. */
  ownerReads: string[][] = [];
  /** Each reserveSellIds call's count. */
  sellIdReservations: number[] = [];
  nextSellId = 1;
  writes = 0;
  definitions: CustomFieldDefinition[] = [definition('Budget', 'number')];
  /** "<type>#<Sell id>" → record id: the records that have a Sell id. */
  sellIds = new Map<string, string>();

  repo: ImportRepository = {
    get: async (id) => structuredClone(this.jobs.get(id)),
    create: async (job, events) => {
      this.jobs.set(job.id, structuredClone(job));
      this.events.push(...events);
    },
    start: async (id, settings, at) => {
      const job = this.jobs.get(id)!;
      if (job.status !== 'awaiting_upload') return false;
      // A stored map keeps no key order (DynamoDB's does not): reversed here.
      const mapping = settings.mapping && Object.fromEntries(Object.entries(settings.mapping).reverse());
      Object.assign(job, settings, { mapping, status: 'queued', updated_at: at });
      return true;
    },
    planned: async (id, totals, at) => {
      Object.assign(this.jobs.get(id)!, totals, { status: 'running', updated_at: at });
    },
    recordBatch: async (id, result) => {
      const key = `${id}#${result.batch}`;
      if (this.batches.has(key)) return false;
      this.batches.set(key, structuredClone(result));
      const job = this.jobs.get(id)!;
      job.created += result.created;
      job.updated += result.updated;
      job.failed += result.failed;
      job.batches_done += 1;
      return true;
    },
    batchResults: async (id) =>
      [...this.batches.entries()]
        .filter(([k]) => k.startsWith(`${id}#`))
        .map(([, v]) => v)
        .sort((a, b) => a.batch - b.batch),
    finish: async (id, at, events) => {
      const job = this.jobs.get(id)!;
      if (job.status === 'finished') return false;
      Object.assign(job, { status: 'finished', finished_at: at });
      this.events.push(...events);
      return true;
    },
  };

  files: ImportFiles = {
    uploadUrl: async (key) => `https://files.test/${key}?put`,
    downloadUrl: async (key) => `https://files.test/${key}?get`,
    read: async (key) => {
      const stored = this.objects.get(key);
      if (stored === undefined) return undefined;
      const bytes = typeof stored === 'string' ? new TextEncoder().encode(stored) : stored;
      return (async function* () {
        // Small chunks: a row (or a character) cut across chunks must still parse.
        for (let i = 0; i < bytes.length; i += 1000) yield bytes.subarray(i, i + 1000);
      })();
    },
    put: async (key, body) => {
      this.objects.set(key, body);
    },
  };

  queue: ImportQueue = { send: async (messages) => void this.queued.push(...structuredClone(messages)) };

  targets: ImportTargets = {
    customFields: async (resource) => (resource === 'leads' ? this.definitions : []),
    userIdByEmail: async (email) => users.get(email),
    principalOf: async (id) => (id === admin.user_id ? admin : rep),
    activeUserIds: async (ids) => {
      this.ownerReads.push([...ids]);
      return new Set(ids.filter((id) => !this.inactive.has(id)));
    },
    reserveSellIds: async (_, count) => {
      this.sellIdReservations.push(count);
      const first = this.nextSellId;
      this.nextSellId += count;
      return first;
    },
    advanceSellIds: async (_, atLeast) => {
      this.nextSellId = Math.max(this.nextSellId, atLeast + 1);
    },
    exists: async (_, id) => this.records.has(id),
    recordIdBySellId: async (type, sellId) => this.sellIds.get(`${type}#${sellId}`),
    idByEmail: async (_, __, email) => [...this.records.entries()].find(([, r]) => r.input.email === email)?.[0],
    create: async (resource, call, input, options) => {
      const id = call.events.newId();
      if (this.records.has(id)) throw new ConflictError('exists');
      // As the table's Sell id items: a number is held by one record of its kind.
      const number = options?.sellId === undefined ? undefined : `${resource.slice(0, -1)}#${options.sellId}`;
      if (number !== undefined && this.sellIds.has(number)) {
        throw new ConflictError(`Sell id ${options!.sellId} of a ${resource.slice(0, -1)} is taken here`);
      }
      if (number !== undefined) this.sellIds.set(number, id);
      this.writes++;
      this.records.set(id, { resource, input, events: call.events, options });
    },
    update: async (_, __, id, input) => {
      this.writes++;
      Object.assign(this.records.get(id)!.input, input);
    },
  };

  deps(extra: Partial<ImportsDeps> = {}): ImportsDeps {
    return {
      imports: this.repo,
      files: this.files,
      queue: this.queue,
      targets: this.targets,
      clock: { now: () => new Date() },
      ...extra,
    };
  }
}

/** A leads file of `n` rows; the rows in `bad` have no last name (or an unknown owner for every 2nd of them). */
function leadsCsv(n: number, bad: Set<number> = new Set()): string {
  const lines = ['First Name,Last Name,Email,Owner,Budget'];
  for (let row = 1; row <= n; row++) {
    if (bad.has(row) && row % 2 === 0) lines.push(`Ana,Müller ${row},ana${row}@example.com,nobody@example.com,10`);
    else if (bad.has(row)) lines.push(`Ana,,ana${row}@example.com,rep@example.com,10`);
    else lines.push(`Zoë,"Müller, ${row}",ana${row}@example.com,rep@example.com,10`);
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

async function uploaded(fakes: Fakes, csv: string | Uint8Array, principal = admin, resource: ImportResource = 'leads') {
  const { import: job } = await createImport(fakes.deps(), callOf(principal), {
    resource,
    filename: 'leads.csv',
    size: csv.length,
  });
  fakes.objects.set(importKeys(job.id).upload, csv);
  return job;
}

/** Delivers queued messages until none are left; `failing` may throw for a delivery (then it is delivered again). */
async function drain(fakes: Fakes, deps: ImportsDeps) {
  while (fakes.queued.length > 0) {
    const message = fakes.queued.shift()!;
    try {
      if (message.type === 'plan') await planImport(deps, ctx(admin), message.import_id);
      else await importBatch(deps, ctx(admin), message);
    } catch {
      fakes.queued.push(message); // SQS hands it out again after the visibility timeout
    }
  }
}

describe('CSV import', () => {
  const bad = new Set([3, 97, 150, 151, 400, 401, 402, 777, 900, 1000]);

  it('dry-runs a 1,000-row file with 10 bad rows to exactly those 10 errors, writing nothing', async () => {
    const fakes = new Fakes();
    const job = await uploaded(fakes, leadsCsv(1000, bad));
    const dry = await dryRunImport(fakes.deps(), callOf(admin), job.id, {});
    expect(dry.total_rows).toBe(1000);
    expect(dry.valid_rows).toBe(990);
    expect(dry.error_count).toBe(10);
    expect(dry.errors.map((e) => e.row)).toEqual([...bad].sort((a, b) => a - b));
    expect(dry.errors.find((e) => e.row === 3)).toEqual({
      row: 3,
      column: 'Last Name',
      reason: 'a lead needs a last name or an organization name',
    });
    expect(dry.errors.find((e) => e.row === 150)).toEqual({
      row: 150,
      column: 'Owner',
      reason: 'no user has the e-mail nobody@example.com',
    });
    expect(dry.mapping).toEqual({
      'First Name': 'first_name',
      'Last Name': 'last_name',
      Email: 'email',
      Owner: 'owner_email',
      Budget: 'custom_fields.Budget',
    });
    expect(fakes.writes).toBe(0);
    expect(fakes.queued).toEqual([]);
  });

  it('imports 990 of them, reports 10 failed rows in an error file, and finishes once', async () => {
    const fakes = new Fakes();
    const job = await uploaded(fakes, leadsCsv(1000, bad));
    await startImport(fakes.deps(), callOf(admin), job.id, {});
    await drain(fakes, fakes.deps());
    const done = fakes.jobs.get(job.id)!;
    expect(done).toMatchObject({
      status: 'finished',
      total_rows: 1000,
      batches: 10,
      batches_done: 10,
      created: 990,
      updated: 0,
      failed: 10,
    });
    expect(fakes.records.size).toBe(990);
    const lead = fakes.records.get(rowRecordId(job.id, 1))!;
    expect(lead.input).toMatchObject({
      first_name: 'Zoë',
      last_name: 'Müller, 1',
      owner_id: rep.user_id,
      custom_fields: { Budget: '10' },
    });
    // Imported records' events say so; automated actions skip them.
    expect(lead.events.origin).toEqual({ type: 'import', id: job.id, automations: false });
    expect(fakes.events.filter((e) => e.metadata.event_type === 'import.finished')).toHaveLength(1);
    const errorFile = fakes.objects.get(importKeys(job.id).errors) as string;
    expect(errorFile.startsWith('\uFEFF')).toBe(true);
    const rows: string[][] = [];
    for await (const r of csvRows([errorFile])) rows.push(r);
    expect(rows[0]).toEqual(['First Name', 'Last Name', 'Email', 'Owner', 'Budget', 'error_row', 'error_column', 'error_reason']);
    expect(rows.slice(1).map((r) => Number(r[5]))).toEqual([...bad].sort((a, b) => a - b));
    const view = await getImport(fakes.deps(), callOf(admin), job.id);
    expect(view.errors_download?.url).toContain(importKeys(job.id).errors);
  });

  it('resumes a 5,000-row import whose worker dies mid-batch to exactly 5,000 records, none twice', async () => {
    const fakes = new Fakes();
    const job = await uploaded(fakes, leadsCsv(5000));
    await startImport(fakes.deps(), callOf(admin), job.id, {});
    let kills = 0;
    const deps = fakes.deps({
      afterRow: (row) => {
        // Killed after the 100th row of three batches, once each.
        if (row % 100 === 40 && kills < 3 && row > 1000 * kills) {
          kills++;
          throw new Error('worker killed');
        }
      },
    });
    await drain(fakes, deps);
    expect(kills).toBe(3);
    expect(fakes.records.size).toBe(5000);
    expect(fakes.writes).toBe(5000);
    expect(fakes.jobs.get(job.id)).toMatchObject({ status: 'finished', created: 5000, failed: 0, batches_done: 50 });
  });

  it("checks a batch's owners once, not in each row's write, and takes its Sell ids in one reservation", async () => {
    const fakes = new Fakes();
    // Rows 1-3 owned by the rep (e-mail), 4-5 by the importer (no owner cell); row 6 by the rep again.
    const csv =
      'Last Name,Owner\r\nA,rep@example.com\r\nB,rep@example.com\r\nC,rep@example.com\r\nD,\r\nE,\r\nF,rep@example.com\r\n';
    const job = await uploaded(fakes, csv);
    await startImport(fakes.deps(), callOf(admin), job.id, {});
    await drain(fakes, fakes.deps());
    expect(fakes.jobs.get(job.id)).toMatchObject({ status: 'finished', created: 6, failed: 0 });
    expect(fakes.ownerReads).toEqual([[rep.user_id, admin.user_id]]);
    expect(fakes.sellIdReservations).toEqual([6]);
    const options = [1, 2, 3, 4, 5, 6].map((row) => fakes.records.get(rowRecordId(job.id, row))!.options);
    expect(options.map((o) => o?.ownerChecked)).toEqual([rep, rep, rep, admin, admin, rep].map((u) => u.user_id));
    expect(options.map((o) => o?.sellId)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('fails the rows of an owner deactivated before their batch, each with its row and column, and writes the others', async () => {
    const fakes = new Fakes();
    const job = await uploaded(fakes, 'Last Name,Owner\r\nA,rep@example.com\r\nB,admin@example.com\r\nC,rep@example.com\r\n');
    await startImport(fakes.deps(), callOf(admin), job.id, {});
    fakes.inactive.add(rep.user_id);
    await drain(fakes, fakes.deps());
    expect(fakes.jobs.get(job.id)).toMatchObject({ status: 'finished', created: 1, failed: 2 });
    expect([...fakes.records.keys()]).toEqual([rowRecordId(job.id, 2)]);
    expect(fakes.sellIdReservations).toEqual([1]);
    const [result] = await fakes.repo.batchResults(job.id);
    expect(result!.errors.map(({ row, column, reason }) => ({ row, column, reason }))).toEqual([
      { row: 1, column: 'Owner', reason: 'no active user has the e-mail rep@example.com' },
      { row: 3, column: 'Owner', reason: 'no active user has the e-mail rep@example.com' },
    ]);
  });

  it("leaves notes' owner unchecked: a note has none", async () => {
    const fakes = new Fakes();
    fakes.sellIds.set('lead#7', '01LEAD000000000000000000001');
    const job = await uploaded(fakes, 'Resource Type,Resource ID,Content\r\nlead,7,Hello\r\n', admin, 'notes');
    await startImport(fakes.deps(), callOf(admin), job.id, {});
    await drain(fakes, fakes.deps());
    expect(fakes.jobs.get(job.id)).toMatchObject({ status: 'finished', created: 1, failed: 0 });
    expect(fakes.ownerReads).toEqual([]);
    expect(fakes.records.get(rowRecordId(job.id, 1))!.options).toEqual({ sellId: 1 });
  });

  it('updates the record of a matching e-mail when asked, and counts it updated', async () => {
    const fakes = new Fakes();
    fakes.records.set('01EXISTING0000000000000000', {
      resource: 'leads',
      input: { email: 'ana2@example.com', last_name: 'Old' },
      events: ctx(admin),
    });
    const job = await uploaded(fakes, leadsCsv(3));
    await startImport(fakes.deps(), callOf(admin), job.id, { match_by_email: true });
    await drain(fakes, fakes.deps());
    expect(fakes.jobs.get(job.id)).toMatchObject({ created: 2, updated: 1, failed: 0 });
    expect(fakes.records.get('01EXISTING0000000000000000')!.input.last_name).toBe('Müller, 2');
  });

  it('refuses rows a rep may not own, a bad mapping, and automations asked for by a non-admin', async () => {
    const fakes = new Fakes();
    const csv = 'Last Name,Owner\r\nA,rep@example.com\r\nB,admin@example.com\r\n';
    const job = await uploaded(fakes, csv, rep);
    const dry = await dryRunImport(fakes.deps(), callOf(rep), job.id, {});
    expect(dry.errors).toEqual([{ row: 2, column: 'Owner', reason: 'you may not give records to admin@example.com' }]);
    await expect(dryRunImport(fakes.deps(), callOf(rep), job.id, { mapping: { Owner: 'salary' } })).rejects.toThrow(
      ValidationError,
    );
    await expect(startImport(fakes.deps(), callOf(rep), job.id, { run_automations: true })).rejects.toThrow(/Only admins/);
  });

  it('writes cells that would start a formula as text', () => {
    expect(csvText([['=1+1', '+x', '-y', '@z', 'plain', 'é']], { withBom: true })).toBe("\uFEFF'=1+1,'+x,'-y,'@z,plain,é\r\n");
  });

  // Known failure kind 9: what Excel saves in a Catalan locale (`;`, CRLF, a BOM or Windows-1252).
  const catalan = [
    'Nom;Cognoms;Correu;Telèfon;Codi postal;Adreça',
    'Núria;Ferrer i Solà;nuria@exemple.example;+34 612 345 678;08001;"Carrer Major, 5\r\n2n 1a"',
    'Jordi;Puig;jordi@exemple.example;+34 600 000 000;17001;Plaça del Vi, 3',
  ].join('\r\n');
  const catalanMapping = {
    Nom: 'first_name',
    Cognoms: 'last_name',
    Correu: 'email',
    Telèfon: 'phone',
    'Codi postal': 'address.postal_code',
    Adreça: 'address.line1',
  };
  const files: [string, Uint8Array][] = [
    ['UTF-8 with a BOM', Buffer.from(`\uFEFF${catalan}\r\n`, 'utf8')],
    ['Windows-1252', Buffer.from(`${catalan}\r\n`, 'latin1')],
  ];
  for (const [encoding, bytes] of files) {
    it(`dry-runs and imports an Excel file (${encoding}, ';'): every column mapped, accents and line breaks intact`, async () => {
      const fakes = new Fakes();
      const job = await uploaded(fakes, bytes);
      const dry = await dryRunImport(fakes.deps(), callOf(admin), job.id, { mapping: catalanMapping });
      expect(dry).toMatchObject({ total_rows: 2, valid_rows: 2, error_count: 0, errors: [], ignored_columns: [] });
      expect(Object.keys(dry.mapping)).toEqual(Object.keys(catalanMapping));
      await startImport(fakes.deps(), callOf(admin), job.id, { mapping: catalanMapping });
      await drain(fakes, fakes.deps());
      expect(fakes.records.get(rowRecordId(job.id, 1))!.input).toMatchObject({
        first_name: 'Núria',
        last_name: 'Ferrer i Solà',
        phone: '+34 612 345 678',
        address: { postal_code: '08001', line1: 'Carrer Major, 5\r\n2n 1a' },
      });
      expect(fakes.records.get(rowRecordId(job.id, 2))!.input).toMatchObject({ address: { line1: 'Plaça del Vi, 3' } });
    });
  }

  it('dry-runs custom field cells against their types (number, date, choice, checkbox, e-mail), naming row and column', async () => {
    const fakes = new Fakes();
    fakes.definitions = [
      definition('Budget', 'number'),
      definition('Since', 'date'),
      definition('Stage', 'list', ['Cold', 'Warm']),
      definition('Products', 'multi_select_list', ['A', 'B']),
      definition('VIP', 'bool'),
      definition('Billing e-mail', 'email'),
    ];
    const csv = [
      'Last Name,Budget,Since,Stage,Products,VIP,Billing e-mail',
      'Good,12.50,2026-02-28,warm,"A, B",yes,bill@example.com',
      'Bad,lots,2026-02-30,Hot,C,maybe,not-an-address',
      'Empty,,,,,,',
    ].join('\r\n');
    const job = await uploaded(fakes, csv);
    const dry = await dryRunImport(fakes.deps(), callOf(admin), job.id, {});
    expect(dry).toMatchObject({ total_rows: 3, valid_rows: 2, error_count: 1 });
    expect(dry.errors.map((e) => [e.row, e.column])).toEqual([
      [2, 'Budget'],
      [2, 'Since'],
      [2, 'Stage'],
      [2, 'Products'],
      [2, 'VIP'],
      [2, 'Billing e-mail'],
    ]);
    expect(dry.errors[0]!.reason).toMatch(/must be a number/);
    expect(dry.errors[1]!.reason).toMatch(/real date/);
    expect(dry.errors[2]!.reason).toMatch(/Cold.*Warm/);
    await startImport(fakes.deps(), callOf(admin), job.id, {});
    await drain(fakes, fakes.deps());
    expect(fakes.jobs.get(job.id)).toMatchObject({ created: 2, failed: 1 });
    expect(fakes.records.get(rowRecordId(job.id, 1))!.input.custom_fields).toEqual({
      Budget: '12.50',
      Since: '2026-02-28',
      Stage: 'warm',
      Products: ['A', 'B'],
      VIP: true,
      'Billing e-mail': 'bill@example.com',
    });
  });

  // Issue 17 item 5: a Sell export's notes and tasks, on the records that kept their Sell ids.
  function sellRecords(fakes: Fakes) {
    fakes.sellIds.set('lead#1001', '01LEAD000000000000000000001');
    fakes.sellIds.set('contact#2002', '01CONTACT000000000000000002');
  }

  it("imports a Sell export's notes onto the leads and contacts of their Sell ids, its headers mapped by themselves", async () => {
    const fakes = new Fakes();
    sellRecords(fakes);
    const csv = [
      'ID,Resource Type,Resource ID,Content,Created At',
      '7001,lead,1001,"Called, wants a demo",2026-03-01T10:00:00Z',
      '7002,contact,2002,Sent the price list,2026-03-02T10:00:00Z',
      '7003,deal,999,On a deal we do not have,2026-03-03T10:00:00Z',
      '7004,lead,abc,A bad id,2026-03-04T10:00:00Z',
    ].join('\r\n');
    const job = await uploaded(fakes, csv, admin, 'notes');
    const dry = await dryRunImport(fakes.deps(), callOf(admin), job.id, {});
    expect(dry.mapping).toEqual({
      ID: 'sell_id',
      'Resource Type': 'resource_type',
      'Resource ID': 'resource_sell_id',
      Content: 'content',
      'Created At': '',
    });
    expect(dry).toMatchObject({ total_rows: 4, valid_rows: 2 });
    expect(dry.errors).toEqual([
      { row: 3, column: 'Resource ID', reason: 'no deal has the Sell id 999' },
      { row: 4, column: 'Resource ID', reason: 'must be a Sell id (a whole number), got "abc"' },
    ]);
    await startImport(fakes.deps(), callOf(admin), job.id, {});
    await drain(fakes, fakes.deps());
    expect(fakes.jobs.get(job.id)).toMatchObject({ status: 'finished', created: 2, failed: 2 });
    expect(fakes.records.get(rowRecordId(job.id, 1))).toMatchObject({
      resource: 'notes',
      input: { content: 'Called, wants a demo', resource_type: 'lead', resource_id: '01LEAD000000000000000000001' },
    });
    expect(fakes.records.get(rowRecordId(job.id, 2))!.input).toEqual({
      content: 'Sent the price list',
      resource_type: 'contact',
      resource_id: '01CONTACT000000000000000002',
    });
  });

  it("keeps a Sell export's record ids, so its notes find their records; the same file again doubles nothing", async () => {
    const fakes = new Fakes();
    fakes.nextSellId = 40;
    const leads = [
      'ID,First Name,Last Name,Company Name,Email,Mobile Phone,Zip,Owner',
      '1001,Zoë,Müller,Acme,zoe@example.com,+34 612 345 678,08001,rep@example.com',
      '1002,Jan,Novák,,jan@example.com,,,',
      ',No,Number,,,,,',
      '01KBZ8X3C4D5E6F7G8H9J0K1M2,Our,Export,,,,,',
      'x17,Bad,Number,,,,,',
    ].join('\r\n');
    const job = await uploaded(fakes, leads);
    const dry = await dryRunImport(fakes.deps(), callOf(admin), job.id, {});
    expect(dry.mapping).toEqual({
      ID: 'sell_id',
      'First Name': 'first_name',
      'Last Name': 'last_name',
      'Company Name': 'organization_name',
      Email: 'email',
      'Mobile Phone': 'mobile',
      Zip: 'address.postal_code',
      Owner: 'owner_email',
    });
    expect(dry.errors).toEqual([{ row: 5, column: 'ID', reason: 'must be a Sell id (a whole number), got "x17"' }]);
    await startImport(fakes.deps(), callOf(admin), job.id, {});
    await drain(fakes, fakes.deps());
    expect(fakes.jobs.get(job.id)).toMatchObject({ status: 'finished', created: 4, failed: 1 });
    const numbered = (row: number) => fakes.records.get(rowRecordId(job.id, row))!.options?.sellId;
    expect([1, 2, 3, 4].map(numbered)).toEqual([1001, 1002, 1003, 1004]);
    expect(fakes.sellIdReservations).toEqual([2]); // only the rows without a Sell number draw one
    expect(fakes.records.get(rowRecordId(job.id, 1))!.input).toMatchObject({
      first_name: 'Zoë',
      organization_name: 'Acme',
      mobile: '+34 612 345 678',
      address: { postal_code: '08001' },
      owner_id: rep.user_id,
    });

    // The export's notes, by their leads' Sell ids.
    const notes = await uploaded(fakes, 'ID,Resource Type,Resource ID,Content\r\n7001,lead,1002,Wants a demo', admin, 'notes');
    await startImport(fakes.deps(), callOf(admin), notes.id, {});
    await drain(fakes, fakes.deps());
    expect(fakes.jobs.get(notes.id)).toMatchObject({ created: 1, failed: 0 });
    expect(fakes.records.get(rowRecordId(notes.id, 1))).toMatchObject({
      input: { resource_type: 'lead', resource_id: rowRecordId(job.id, 2) },
      options: { sellId: 7001 },
    });

    // The leads file again: every numbered row finds its number taken; nothing is written twice.
    const again = await uploaded(fakes, leads);
    await startImport(fakes.deps(), callOf(admin), again.id, {});
    await drain(fakes, fakes.deps());
    expect(fakes.jobs.get(again.id)).toMatchObject({ created: 2, failed: 3 });
    const errors = (await fakes.repo.batchResults(again.id)).flatMap((b) => b.errors);
    expect(errors.map((e) => [e.row, e.reason])).toEqual([
      [1, 'Sell id 1001 of a lead is taken here'],
      [2, 'Sell id 1002 of a lead is taken here'],
      [5, 'must be a Sell id (a whole number), got "x17"'],
    ]);
  });

  it('dry-runs a row naming the Sell id of a row before it to an error on that column', async () => {
    const fakes = new Fakes();
    const csv = ['ID,Last Name', '3001,First', '3002,Second', '3001,Again'].join('\r\n');
    const job = await uploaded(fakes, csv);
    const dry = await dryRunImport(fakes.deps(), callOf(admin), job.id, {});
    expect(dry).toMatchObject({ total_rows: 3, valid_rows: 2, error_count: 1 });
    expect(dry.errors).toEqual([{ row: 3, column: 'ID', reason: 'row 1 has the same Sell id 3001' }]);
  });

  it("imports a Sell export's tasks with their owner, due date and state; a floating one has no record", async () => {
    const fakes = new Fakes();
    sellRecords(fakes);
    const csv = [
      'ID,Resource Type,Resource ID,Content,Due Date,Completed,Owner',
      '8001,lead,1001,Send the demo,2026-03-05T09:30:00Z,0,rep@example.com',
      '8002,contact,2002,Call back,,1,',
      '8003,,,A floating task (no record),,0,',
      '8004,lead,,Its lead not named,,0,',
      '8005,,1001,Its type not named,,0,',
    ].join('\r\n');
    const job = await uploaded(fakes, csv, admin, 'tasks');
    const dry = await dryRunImport(fakes.deps(), callOf(admin), job.id, {});
    expect(dry.errors.map((e) => [e.row, e.column])).toEqual([
      [4, 'Resource ID'],
      [5, 'Resource Type'],
    ]);
    await startImport(fakes.deps(), callOf(admin), job.id, {});
    await drain(fakes, fakes.deps());
    expect(fakes.jobs.get(job.id)).toMatchObject({ created: 3, failed: 2 });
    expect(fakes.records.get(rowRecordId(job.id, 3))!.input).toEqual({
      content: 'A floating task (no record)',
      completed: false,
      owner_id: admin.user_id,
    });
    expect(fakes.records.get(rowRecordId(job.id, 1))!.input).toEqual({
      content: 'Send the demo',
      due_date: '2026-03-05T09:30:00Z',
      completed: false,
      resource_type: 'lead',
      resource_id: '01LEAD000000000000000000001',
      owner_id: rep.user_id,
    });
    expect(fakes.records.get(rowRecordId(job.id, 2))!.input).toMatchObject({ completed: true, owner_id: admin.user_id });
  });

  it('tries a row again after a transient failure instead of failing its batch (which SQS would hold back)', async () => {
    const fakes = new Fakes();
    const job = await uploaded(fakes, leadsCsv(10));
    await startImport(fakes.deps(), callOf(admin), job.id, {});
    await planImport(fakes.deps(), ctx(admin), job.id);
    const batch = fakes.queued.find((m) => m.type === 'batch')!;
    const create = fakes.targets.create;
    let failures = 0;
    fakes.targets.create = async (resource, call, input) => {
      if (input.last_name === 'Müller, 5' && failures < 2) {
        failures++;
        throw new Error('This action timed out because it too long waiting for a lock');
      }
      return create(resource, call, input);
    };
    const result = await importBatch(fakes.deps(), ctx(admin), batch as ImportMessage & { type: 'batch' });
    expect(failures).toBe(2);
    expect(result).toMatchObject({ created: 10, failed: 0 });
    expect(fakes.records.size).toBe(10);
    expect(fakes.writes).toBe(10);
  });

  it("tries the batch's own reads and writes again after a transient failure (owners, Sell ids, counters)", async () => {
    const fakes = new Fakes();
    const job = await uploaded(fakes, leadsCsv(10));
    await startImport(fakes.deps(), callOf(admin), job.id, {});
    await planImport(fakes.deps(), ctx(admin), job.id);
    const batch = fakes.queued.find((m) => m.type === 'batch')!;
    const lockWait = () => new Error('This action timed out because it too long waiting for a lock');
    const { activeUserIds, reserveSellIds } = fakes.targets;
    const { recordBatch } = fakes.repo;
    const failed = { owners: 0, sellIds: 0, record: 0 };
    fakes.targets.activeUserIds = async (ids) => (failed.owners++ < 1 ? Promise.reject(lockWait()) : activeUserIds(ids));
    fakes.targets.reserveSellIds = async (r, n) => (failed.sellIds++ < 2 ? Promise.reject(lockWait()) : reserveSellIds(r, n));
    fakes.repo.recordBatch = async (id, r, at) => (failed.record++ < 1 ? Promise.reject(lockWait()) : recordBatch(id, r, at));
    const result = await importBatch(fakes.deps(), ctx(admin), batch as ImportMessage & { type: 'batch' });
    expect(failed).toEqual({ owners: 2, sellIds: 3, record: 2 });
    expect(result).toMatchObject({ created: 10, failed: 0 });
    expect(fakes.jobs.get(job.id)).toMatchObject({ status: 'finished', created: 10 });
  });
});
