import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { createContactInput } from '#shared/contacts/domain.ts';
import { validateCustomFieldInput, type CustomFieldDefinition } from '#shared/custom-fields/domain.ts';
import { createDealInput } from '#shared/deals/domain.ts';
import { createLeadInput } from '#shared/leads/domain.ts';
import { createNoteInput } from '#shared/notes/domain.ts';
import { createTaskInput } from '#shared/tasks/domain.ts';

// CSV imports (X1): a file of leads, contacts or deals, uploaded to S3, its columns mapped to
// fields (standard ones, custom fields by name, the owner by e-mail), dry-run to per-row
// errors, then run asynchronously in batches of rows. Every row is imported at most once: a
// created record's id is a function of the import and the row (rowIds), so a batch handed out
// again after a crash finds the records it already wrote instead of writing them twice.

export const IMPORT_RESOURCES = ['leads', 'contacts', 'deals', 'notes', 'tasks'] as const;
export type ImportResource = (typeof IMPORT_RESOURCES)[number];
/** The resources whose rows hang on another record (a Sell export's notes and tasks). */
export type AttachedResource = Extract<ImportResource, 'notes' | 'tasks'>;
export const isAttached = (resource: ImportResource): resource is AttachedResource =>
  resource === 'notes' || resource === 'tasks';
/** The record types a note or task of a Sell export hangs on, found by their Sell id. */
export const PARENT_TYPES = ['lead', 'contact', 'deal'] as const;
export type ParentType = (typeof PARENT_TYPES)[number];

export const IMPORT_STATUSES = ['awaiting_upload', 'queued', 'running', 'finished'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** Rows per batch message (each row is one transaction; a batch stays well within a worker's timeout). */
export const BATCH_ROWS = 100;
/** A batch message's rows stay under this many bytes of JSON (SQS takes 256 KiB a message). */
export const BATCH_MAX_BYTES = 200 * 1024;
/** The largest file accepted, in bytes (100,000 rows of a wide export fit). */
export const IMPORT_MAX_BYTES = 100 * 1024 * 1024;
/** Rows a file may hold. */
export const IMPORT_MAX_ROWS = 200_000;
/** A dry run lists at most this many errors (`error_count` counts them all). */
export const DRY_RUN_MAX_ERRORS = 1000;

/** Where an import's file and its error file live in the files bucket. */
export function importKeys(id: string): { upload: string; errors: string } {
  return { upload: `imports/${id}.csv`, errors: `imports/${id}-errors.csv` };
}

/**
 * What a column becomes: a standard field ("first_name", "address.city"...), "owner_email"
 * (the owner, found by e-mail), "custom_fields.<name>", or "" (ignored).
 */
export type ColumnTarget = string;
/** Header → target, for every header of the file. */
export type ColumnMapping = Record<string, ColumnTarget>;

const ADDRESS_FIELDS = ['address.line1', 'address.city', 'address.postal_code', 'address.state', 'address.country'];
const DETAIL_FIELDS = ['title', 'description', 'email', 'phone', 'mobile', 'website', 'industry', 'tags', ...ADDRESS_FIELDS];

/** The standard fields a column may be mapped to, per resource. */
export const STANDARD_FIELDS: Readonly<Record<ImportResource, readonly string[]>> = {
  leads: ['sell_id', 'first_name', 'last_name', 'organization_name', 'status', ...DETAIL_FIELDS, 'owner_email'],
  contacts: ['sell_id', 'is_organization', 'name', 'first_name', 'last_name', ...DETAIL_FIELDS, 'owner_email'],
  deals: ['sell_id', 'name', 'value', 'currency', 'hot', 'estimated_close_date', 'tags', 'owner_email'],
  // A Sell export's notes and tasks name their record by type and Sell id (resource_sell_id).
  notes: ['sell_id', 'content', 'resource_type', 'resource_sell_id'],
  tasks: ['sell_id', 'content', 'due_date', 'completed', 'remind_at', 'owner_email', 'resource_type', 'resource_sell_id'],
};

/**
 * A Sell id in a cell: a whole number of up to 16 digits (Sell's ids are 64-bit; every one
 * seen fits a double exactly).
 */
const SELL_ID_CELL = /^[1-9]\d{0,15}$/;
/** One of this CRM's own record ids (a ULID), as its own export's "id" column holds them. */
const OWN_ID_CELL = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const normalHeader = (header: string): string =>
  header
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_\-.]+/g, ' ');

/**
 * Headers recognised without a mapping: our own export's and Sell's (its CSV exports and import
 * templates: "First Name", "Company Name", "Owner", "Zip"...), compared case-insensitively with
 * spaces, underscores, dots and dashes alike. Sell's record "ID" column is the record's Sell id:
 * it keeps it, as the importer from Sell's API does, so the export's notes and tasks (which
 * name their record by it) and integrations that stored it find the record.
 */
const HEADER_ALIASES: Readonly<Record<string, string>> = {
  id: 'sell_id',
  'first name': 'first_name',
  'last name': 'last_name',
  'organization name': 'organization_name',
  'organisation name': 'organization_name',
  'company name': 'organization_name',
  company: 'organization_name',
  name: 'name',
  'deal name': 'name',
  title: 'title',
  description: 'description',
  status: 'status',
  email: 'email',
  'e mail': 'email',
  'email address': 'email',
  phone: 'phone',
  'phone number': 'phone',
  'work phone': 'phone',
  mobile: 'mobile',
  'mobile phone': 'mobile',
  website: 'website',
  industry: 'industry',
  tags: 'tags',
  tag: 'tags',
  street: 'address.line1',
  address: 'address.line1',
  'address line1': 'address.line1',
  'address 1': 'address.line1',
  city: 'address.city',
  zip: 'address.postal_code',
  'zip code': 'address.postal_code',
  'postal code': 'address.postal_code',
  'address postal code': 'address.postal_code',
  'address city': 'address.city',
  'address state': 'address.state',
  'address country': 'address.country',
  state: 'address.state',
  region: 'address.state',
  country: 'address.country',
  owner: 'owner_email',
  'owner email': 'owner_email',
  value: 'value',
  'deal value': 'value',
  currency: 'currency',
  hot: 'hot',
  'estimated close date': 'estimated_close_date',
  'is organization': 'is_organization',
  'is organisation': 'is_organization',
  organization: 'is_organization',
  // Sell's notes and tasks (the API's field names, as its exports title them).
  'resource type': 'resource_type',
  'resource id': 'resource_sell_id',
  note: 'content',
  task: 'content',
  'due date': 'due_date',
  done: 'completed',
  'remind at': 'remind_at',
};

/**
 * The mapping a file gets without one: each header that names a standard field (or an alias
 * above) maps to it, one that names a custom field of the resource (by name, or
 * "custom_fields.<name>") maps to that field, anything else is ignored ("").
 */
export function defaultMapping(
  resource: ImportResource,
  headers: readonly string[],
  customFields: readonly string[],
): ColumnMapping {
  const standard = STANDARD_FIELDS[resource];
  const custom = new Map(customFields.map((name) => [normalHeader(name), name]));
  const mapping: ColumnMapping = {};
  for (const header of headers) {
    const key = normalHeader(header);
    const alias = HEADER_ALIASES[key];
    const asField = standard.find((f) => normalHeader(f) === key);
    const customName = custom.get(key) ?? custom.get(key.replace(/^custom fields /, ''));
    if (asField) mapping[header] = asField;
    else if (alias && standard.includes(alias)) mapping[header] = alias;
    else if (customName) mapping[header] = `custom_fields.${customName}`;
    else mapping[header] = '';
  }
  return mapping;
}

/** Why a mapping cannot be used: a target that is no field of the resource, or one target twice. */
export function mappingProblems(resource: ImportResource, mapping: ColumnMapping, customFields: readonly string[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const [header, target] of Object.entries(mapping)) {
    if (target === '') continue;
    const custom = target.startsWith('custom_fields.') ? target.slice('custom_fields.'.length) : undefined;
    if (custom !== undefined ? !customFields.includes(custom) : !STANDARD_FIELDS[resource].includes(target)) {
      problems.push(`column "${header}": "${target}" is not a field of ${resource}`);
    }
    const other = seen.get(target);
    if (other !== undefined) problems.push(`columns "${other}" and "${header}" both map to "${target}"`);
    seen.set(target, header);
  }
  return problems;
}

export const columnMappingSchema = z.record(z.string().check(z.maxLength(255)), z.string().check(z.maxLength(300)));

/** One refused cell (or row): the 1-based data row (the header is row 0), the column, why. */
export const rowErrorSchema = z.object({ row: z.int(), column: z.nullable(z.string()), reason: z.string() });
export type RowError = z.output<typeof rowErrorSchema>;

/** What a row of the file becomes: the create input and the owner's e-mail, or its errors. */
export type RowOutcome =
  | {
      ok: true;
      input: Record<string, unknown>;
      ownerEmail: string | undefined;
      email: string | undefined;
      /** The record's own Sell id (a Sell export's "ID" column): it keeps that number. */
      sellId?: number;
      /** A note's or task's record, by type and Sell id, and the column naming the id. */
      parent?: { type: ParentType; sellId: number; column: string | null };
    }
  | { ok: false; errors: RowError[] };

const TRUE = new Set(['1', 'true', 'yes', 'y', 'x']);
const FALSE = new Set(['0', 'false', 'no', 'n']);

/**
 * A custom field's cell as the value its type takes: a checkbox from 1/0, yes/no, x...; the
 * choices of a multi-select list split on `,` or `;`; an address as its first line; anything
 * else as written (the definition's own check then accepts it or says why not).
 */
function customFieldCell(type: CustomFieldDefinition['type'] | undefined, value: string): unknown {
  if (type === 'bool') {
    const lower = value.toLowerCase();
    return TRUE.has(lower) ? true : FALSE.has(lower) ? false : value;
  }
  if (type === 'multi_select_list') {
    return value
      .split(/[,;]/)
      .map((v) => v.trim())
      .filter((v) => v !== '');
  }
  if (type === 'address') return { line1: value };
  return value;
}

const CREATE_INPUTS = {
  leads: createLeadInput,
  contacts: createContactInput,
  deals: createDealInput,
  // The record's id is known once its Sell id is looked up (use cases): checked without it.
  notes: z.omit(createNoteInput, { resource_id: true }),
  tasks: z.omit(createTaskInput, { resource_id: true, owner_id: true }),
} as const;

/**
 * Reads one row (its cells in header order) into the resource's create input, checked with the
 * same schema the API uses, plus the rules between fields the API checks on save (a lead's
 * last or organisation name, a person's last name, an organisation's name). Custom field cells
 * are checked against their definitions (`customFields`: number, date, choice, checkbox...) as
 * the create will check them, after reading spreadsheet spellings (see customFieldCell). Empty
 * cells are left out. Each problem names the column it comes from.
 * @param row the 1-based data row number
 */
export function readRow(
  resource: ImportResource,
  headers: readonly string[],
  cells: readonly string[],
  mapping: ColumnMapping,
  row: number,
  customFields: readonly CustomFieldDefinition[] = [],
): RowOutcome {
  const errors: RowError[] = [];
  const input: Record<string, unknown> = {};
  const columnOf = new Map<string, string>();
  let ownerEmail: string | undefined;
  let sellId: number | undefined;
  let ownSellId: number | undefined;
  if (cells.length !== headers.length) {
    return { ok: false, errors: [{ row, column: null, reason: `has ${cells.length} cells, the header ${headers.length}` }] };
  }
  for (const header of headers) {
    const target = mapping[header] ?? '';
    if (target !== '') columnOf.set(target.startsWith('custom_fields.') ? target : target.split('.')[0]!, header);
  }
  headers.forEach((header, i) => {
    const target = mapping[header] ?? '';
    const value = (cells[i] ?? '').trim();
    if (target === '' || value === '') return;
    if (target === 'owner_email') {
      ownerEmail = value.toLowerCase();
    } else if (target.startsWith('custom_fields.')) {
      const name = target.slice('custom_fields.'.length);
      const fields = (input.custom_fields ??= {}) as Record<string, unknown>;
      fields[name] = customFieldCell(customFields.find((d) => d.name === name)?.type, value);
    } else if (target.startsWith('address.')) {
      const address = (input.address ??= {}) as Record<string, unknown>;
      address[target.slice('address.'.length)] = value;
    } else if (target === 'tags') {
      input.tags = value
        .split(/[,;]/)
        .map((t) => t.trim())
        .filter((t) => t !== '');
    } else if (target === 'resource_type') {
      input.resource_type = value.toLowerCase();
    } else if (target === 'sell_id') {
      // Our own export's ids are ours, not Sell's: a re-imported record is a new one, numbered here.
      if (SELL_ID_CELL.test(value)) ownSellId = Number(value);
      else if (!OWN_ID_CELL.test(value)) {
        errors.push({ row, column: header, reason: `must be a Sell id (a whole number), got ${JSON.stringify(value)}` });
      }
    } else if (target === 'resource_sell_id') {
      if (SELL_ID_CELL.test(value)) sellId = Number(value);
      else errors.push({ row, column: header, reason: `must be a Sell id (a whole number), got ${JSON.stringify(value)}` });
    } else if (target === 'hot' || target === 'is_organization' || target === 'completed') {
      const lower = value.toLowerCase();
      if (TRUE.has(lower)) input[target] = true;
      else if (FALSE.has(lower)) input[target] = false;
      else errors.push({ row, column: header, reason: 'must be 1 or 0 (true/false, yes/no)' });
    } else {
      input[target] = target === 'email' ? value.toLowerCase() : value;
    }
  });
  const parsed = CREATE_INPUTS[resource].safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] === 'custom_fields' ? `custom_fields.${String(issue.path[1])}` : String(issue.path[0] ?? '');
      errors.push({ row, column: columnOf.get(field) ?? null, reason: issue.message });
    }
  }
  if (input.custom_fields !== undefined && customFields.length > 0) {
    for (const problem of validateCustomFieldInput(customFields, input.custom_fields, {}, 'custom_fields').problems) {
      const name = problem.field.slice('custom_fields.'.length).split('.')[0]!;
      errors.push({ row, column: columnOf.get(`custom_fields.${name}`) ?? null, reason: problem.message });
    }
  }
  const named = (field: string) => typeof input[field] === 'string';
  const missing = (field: string, reason: string) => errors.push({ row, column: columnOf.get(field) ?? null, reason });
  if (resource === 'leads' && !named('last_name') && !named('organization_name')) {
    missing('last_name', 'a lead needs a last name or an organization name');
  }
  if (resource === 'contacts') {
    if (input.is_organization === true) {
      if (!named('name')) missing('name', 'an organisation needs a name');
    } else if (!named('last_name')) missing('last_name', 'a person needs a last name');
  }
  if (resource === 'deals' && !named('name')) missing('name', 'a deal needs a name');
  // A note needs its record; a task may have none (Sell's floating task), or both type and id.
  const attached = isAttached(resource);
  const floating = resource === 'tasks' && input.resource_type === undefined && sellId === undefined;
  const badSellId = errors.some((e) => e.column === columnOf.get('resource_sell_id'));
  if (attached && !floating && sellId === undefined && !badSellId) {
    missing('resource_sell_id', `a ${resource === 'notes' ? 'note' : 'task'} needs the Sell id of its lead, contact or deal`);
  }
  if (attached && !floating && input.resource_type === undefined) {
    missing('resource_type', 'must name the record type: lead, contact or deal');
  }
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  const checked = parsed.data as Record<string, unknown>;
  return {
    ok: true,
    input: checked,
    ownerEmail,
    email: typeof checked.email === 'string' ? checked.email : undefined,
    ...(ownSellId !== undefined ? { sellId: ownSellId } : {}),
    ...(attached && sellId !== undefined
      ? {
          parent: {
            type: checked.resource_type as ParentType,
            sellId,
            column: columnOf.get('resource_sell_id') ?? null,
          },
        }
      : {}),
  };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function base32(bytes: Uint8Array, chars: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
    if (out.length === chars) break;
  }
  return out;
}

/**
 * The ids a row's writes draw, in order (the record's id first, then its events'): ULIDs with
 * the import's time part and a hash of (import, row, n) as randomness. A batch handed out again
 * draws the same ids, so a row written before a crash collides with itself instead of doubling.
 */
export function rowIds(importId: string, row: number): () => string {
  const time = importId.slice(0, 10);
  let n = 0;
  return () => time + base32(createHash('sha256').update(`${importId}|${row}|${n++}`).digest(), 16);
}

/** The id a row's created record has (the first id `rowIds` draws). */
export const rowRecordId = (importId: string, row: number): string => rowIds(importId, row)();

/** How a row ended in the real run. */
export type RowResult = 'created' | 'updated' | 'failed';

/** What a batch did: its counters, and the failed rows with their cells (for the error file). */
export const batchResultSchema = z.object({
  batch: z.int(),
  created: z.int(),
  updated: z.int(),
  failed: z.int(),
  errors: z.array(z.object({ row: z.int(), column: z.nullable(z.string()), reason: z.string(), cells: z.array(z.string()) })),
});
export type BatchResult = z.output<typeof batchResultSchema>;

export const importSchema = z.object({
  id: z.string(),
  resource: z.enum(IMPORT_RESOURCES),
  filename: z.string(),
  status: z.enum(IMPORT_STATUSES),
  creator_id: z.string(),
  /** Set when started: the mapping used (the file's headers → targets). */
  mapping: z.nullable(columnMappingSchema),
  /** Set when started: the file's headers in order (a stored map keeps no order). */
  columns: z.nullable(z.array(z.string())),
  /** Rows whose e-mail matches an existing record update it instead of creating one. */
  match_by_email: z.boolean(),
  /** Whether the admins' automated actions run on the imported records (off by default). */
  run_automations: z.boolean(),
  /** Known once the file is split into batches. */
  total_rows: z.nullable(z.int()),
  batches: z.nullable(z.int()),
  batches_done: z.int(),
  created: z.int(),
  updated: z.int(),
  failed: z.int(),
  created_at: z.string(),
  updated_at: z.string(),
  finished_at: z.nullable(z.string()),
});
export type ImportJob = z.output<typeof importSchema>;

export const createImportInput = z.strictObject({
  resource: z.enum(IMPORT_RESOURCES),
  filename: z.string().check(z.minLength(1), z.maxLength(255)),
  size: z.int().check(z.minimum(1), z.maximum(IMPORT_MAX_BYTES)),
});
export type CreateImportInput = z.output<typeof createImportInput>;

export const startImportInput = z.strictObject({
  mapping: z.optional(columnMappingSchema),
  match_by_email: z.optional(z.boolean()),
  run_automations: z.optional(z.boolean()),
});
export type StartImportInput = z.output<typeof startImportInput>;

export const dryRunInput = z.strictObject({ mapping: z.optional(columnMappingSchema) });
export type DryRunInput = z.output<typeof dryRunInput>;

/** The dry run's answer: how many rows would be imported, and why the others would not. */
export const dryRunSchema = z.object({
  total_rows: z.int(),
  valid_rows: z.int(),
  error_count: z.int(),
  /** At most DRY_RUN_MAX_ERRORS, in row order. */
  errors: z.array(rowErrorSchema),
  mapping: columnMappingSchema,
  /** Headers mapped to nothing. */
  ignored_columns: z.array(z.string()),
});
export type DryRun = z.output<typeof dryRunSchema>;

/** The queue's messages: split a started import's file, or import one batch of its rows. */
export const importMessageSchema = z.union([
  z.object({ type: z.literal('plan'), import_id: z.string() }),
  z.object({
    type: z.literal('batch'),
    import_id: z.string(),
    batch: z.int(),
    /** The 1-based row number of rows[0]. */
    first_row: z.int(),
    rows: z.array(z.array(z.string())),
  }),
]);
export type ImportMessage = z.output<typeof importMessageSchema>;

/** Splits rows into batch messages of BATCH_ROWS rows, cut earlier to stay under BATCH_MAX_BYTES. */
export function* batchesOf(importId: string, rows: Iterable<string[]>): Generator<ImportMessage & { type: 'batch' }> {
  let batch = 0;
  let row = 1;
  let current: string[][] = [];
  let bytes = 0;
  let first = 1;
  for (const cells of rows) {
    const size = JSON.stringify(cells).length;
    if (current.length > 0 && (current.length >= BATCH_ROWS || bytes + size > BATCH_MAX_BYTES)) {
      yield { type: 'batch', import_id: importId, batch: batch++, first_row: first, rows: current };
      current = [];
      bytes = 0;
      first = row;
    }
    current.push(cells);
    bytes += size;
    row++;
  }
  if (current.length > 0) yield { type: 'batch', import_id: importId, batch, first_row: first, rows: current };
}

/** The import's progress once a batch more is done: finished when every batch is. */
export const isComplete = (job: Pick<ImportJob, 'batches' | 'batches_done'>): boolean =>
  job.batches !== null && job.batches_done >= job.batches;
