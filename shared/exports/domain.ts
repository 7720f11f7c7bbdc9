import * as z from 'zod/mini';
import { STANDARD_FIELDS } from '#shared/imports/domain.ts';

// CSV exports (X1): any list of leads, contacts or deals with the filters and sort its list
// route takes, within the requester's visibility as it was when they asked, written by a queue
// worker to the files bucket a slice at a time (each slice a part object, the list cursor the
// checkpoint between slices), then joined into one UTF-8 file with a BOM. Columns are our
// import's own headers (standard fields, owner_email, custom fields by name), so an export
// imports back without a mapping.

/** The lists an export writes (imports also take a Sell export's notes and tasks; exports do not). */
export const EXPORT_RESOURCES = ['leads', 'contacts', 'deals'] as const;
export type ExportResource = (typeof EXPORT_RESOURCES)[number];

export const EXPORT_STATUSES = ['queued', 'running', 'done', 'failed'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** Records read per list page (the list routes' largest page). */
export const EXPORT_PAGE_SIZE = 100;
/** Rows a part object holds at most (a slice's memory stays a few MB). */
export const PART_MAX_ROWS = 5_000;
/**
 * Milliseconds a worker invocation writes parts before it checkpoints and queues the rest
 * (the worker's timeout is 60 s: a slice never runs into it, however long the list).
 */
export const SLICE_BUDGET_MS = 20_000;
/** Parts an export may have (PART_MAX_ROWS each: 2,000,000 rows); past it the export fails. */
export const EXPORT_MAX_PARTS = 400;
/** Receives of an export message before the queue's DLQ keeps it (the last one marks the export failed). */
export const EXPORT_QUEUE_MAX_RECEIVES = 5;
/** Days an export's file stays in the bucket (the bucket's lifecycle rule on exports/). */
export const EXPORT_RETENTION_DAYS = 7;

/** Where an export's parts and its file live in the files bucket. */
export function exportKeys(id: string): { file: string; part: (n: number) => string } {
  return { file: `exports/${id}.csv`, part: (n) => `exports/${id}/part-${String(n).padStart(5, '0')}.csv` };
}

/** The query-string filters of the resource's list route, as its query string gives them. */
export const exportFiltersSchema = z.record(z.string().check(z.maxLength(200)), z.string().check(z.maxLength(1000)));
export type ExportFilters = z.output<typeof exportFiltersSchema>;

/** An export as the API shows it. */
export const exportSchema = z.object({
  id: z.string(),
  resource: z.enum(EXPORT_RESOURCES),
  /** The list route's filters and sort (without limit and cursor). */
  filters: exportFiltersSchema,
  status: z.enum(EXPORT_STATUSES),
  creator_id: z.string(),
  /** Rows written so far (all of them once done). */
  rows: z.int(),
  /** The file's name when downloaded. */
  filename: z.string(),
  /** Why it failed (status failed), else null. */
  failure_reason: z.nullable(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  finished_at: z.nullable(z.string()),
});
export type ExportView = z.output<typeof exportSchema>;

/**
 * What export events carry: the export, with its requester as owner_id (whose feed and inbox
 * it goes to) and version 1 (an export's feed state never changes owner).
 */
export const exportEventSchema = z.extend(exportSchema, { owner_id: z.string(), version: z.int() });

/** Who asked, as they were when they asked: the worker lists with these rights. */
export interface ExportRequester {
  user_id: string;
  email: string;
  role: 'admin' | 'manager' | 'user';
  direct_reports: string[];
}

/** Where the worker stands: the list cursor after the last part written, and the parts' sizes. */
export interface ExportCheckpoint {
  /** The header row, fixed by the first slice (custom fields added later do not shift columns). */
  columns: string[] | null;
  /** The custom fields among the columns, by name (fixed with the columns). */
  custom_field_names: string[] | null;
  cursor: string | null;
  /** Bytes of each part written, in order. */
  part_bytes: number[];
}

/** An export as stored: the view plus the requester's rights and the checkpoint. */
export interface ExportJob extends ExportView, ExportCheckpoint {
  requester: ExportRequester;
}

export const createExportInput = z.strictObject({
  resource: z.enum(EXPORT_RESOURCES),
  /** The list route's query string as an object: e.g. {"stage_id": "...", "sort_by": "value"}. */
  filters: z.optional(exportFiltersSchema),
});
export type CreateExportInput = z.output<typeof createExportInput>;

/** The export queue's one message: do the next slice of this export. */
export const exportMessageSchema = z.object({ export_id: z.string().check(z.minLength(1)) });
export type ExportMessage = z.output<typeof exportMessageSchema>;

/** The job as the API shows it. */
export function exportView(job: ExportJob): ExportView {
  return {
    id: job.id,
    resource: job.resource,
    filters: job.filters,
    status: job.status,
    creator_id: job.creator_id,
    rows: job.rows,
    filename: job.filename,
    failure_reason: job.failure_reason,
    created_at: job.created_at,
    updated_at: job.updated_at,
    finished_at: job.finished_at,
  };
}

/** Filters an export keeps: paging is the worker's. */
export function exportFilters(filters: ExportFilters | undefined): ExportFilters {
  const { limit: _limit, cursor: _cursor, ...rest } = filters ?? {};
  return rest;
}

/**
 * The header row: id, the resource's standard import fields (owner_email in place of the
 * owner's id), each custom field by its name (as "custom_fields.<name>" when the name is also
 * a standard header), then created_at and updated_at (which an import ignores).
 */
export function exportColumns(resource: ExportResource, customFieldNames: readonly string[]): string[] {
  return [
    ...STANDARD_COLUMNS[resource],
    ...customFieldNames.map((name) => customColumn(resource, name)),
    'created_at',
    'updated_at',
  ];
}

// The import's own fields but its sell_id (a Sell export's "ID"): this CRM's records are named by `id`.
const STANDARD_COLUMNS = Object.fromEntries(
  EXPORT_RESOURCES.map((r) => [r, ['id', ...STANDARD_FIELDS[r].filter((f) => f !== 'sell_id')]]),
) as Record<ExportResource, string[]>;

/** A custom field's column: its name, or "custom_fields.<name>" when that is a standard header too. */
function customColumn(resource: ExportResource, name: string): string {
  return [...STANDARD_COLUMNS[resource], 'created_at', 'updated_at'].includes(name) ? `custom_fields.${name}` : name;
}

type Data = Record<string, unknown>;

const cellOf = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(cellOf).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

/**
 * One record as cells in `columns` order (before neutralising): dotted columns read nested
 * fields (address.city), lists are joined with ", " (as the importer splits tags), custom
 * fields come from the record's custom_fields by name, owner_email from `ownerEmail`.
 */
export function exportRow(
  resource: ExportResource,
  columns: readonly string[],
  record: Data,
  customFieldNames: readonly string[],
  ownerEmail: string | undefined,
): string[] {
  const custom = (record.custom_fields ?? {}) as Data;
  const customNameOf = new Map(customFieldNames.map((name) => [customColumn(resource, name), name]));
  return columns.map((column) => {
    if (column === 'owner_email') return ownerEmail ?? '';
    const customName = customNameOf.get(column);
    if (customName !== undefined) return cellOf(custom[customName]);
    const [head, ...rest] = column.split('.');
    let value: unknown = record[head!];
    for (const part of rest) value = value && typeof value === 'object' ? (value as Data)[part] : undefined;
    return cellOf(value);
  });
}

/** The download's file name: "deals-2026-12-01.csv". */
export const exportFilename = (resource: ExportResource, at: string): string => `${resource}-${at.slice(0, 10)}.csv`;
