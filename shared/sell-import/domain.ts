import * as z from 'zod/mini';

// The importer from Zendesk Sell's Core API v2 (issue 17 item 4): what it reads, in which order,
// and how it reports. Pure: no I/O.

/** Sell's rate limit: requests per hour per token (its rate-limits page). */
export const SELL_REQUESTS_PER_HOUR = 36_000;
/** Records per page the importer asks for (Sell's maximum). */
export const SELL_PER_PAGE = 100;
/** Sell's API base when none is given. */
export const SELL_BASE_URL = 'https://api.getbase.com';
/** Example records kept per resource in the report (with their reason). */
export const REPORT_EXAMPLES = 20;

/** What a step does with each record of its pages (use-cases.ts has one writer per kind). */
export type StepKind =
  | 'users'
  | 'pipelines'
  | 'named_list'
  | 'custom_fields'
  | 'contacts'
  | 'leads'
  | 'deals'
  | 'associated_contacts'
  | 'notes'
  | 'tasks'
  | 'calls'
  | 'text_messages'
  | 'lead_conversions'
  | 'skip';

/** One step of an import: a Sell collection read page by page (or skipped, with the reason). */
export interface SellImportStep {
  /** The report's name for it: Sell's resource name, plus the part for split collections. */
  readonly name: string;
  readonly kind: StepKind;
  /** The collection's path and filters under the base ("/v2/leads"); absent for skipped steps. */
  readonly path?: string;
  /** For named lists: the kind here; for custom fields: the resource. */
  readonly target?: string;
  /** Why the step reads nothing (a resource this product lacks). */
  readonly skip?: string;
}

/**
 * Every step, in dependency order: users (mapped to invited users), pipelines with their stages,
 * reasons and sources, custom field definitions, organisations then people, leads, deals, the
 * deals' associated contacts, notes and tasks, call outcomes, calls and text messages, lead conversions. Resources this product lacks are report lines.
 */
export const SELL_IMPORT_STEPS: readonly SellImportStep[] = [
  { name: 'users', kind: 'users', path: '/v2/users' },
  { name: 'pipelines', kind: 'pipelines', path: '/v2/pipelines' },
  { name: 'loss_reasons', kind: 'named_list', path: '/v2/loss_reasons', target: 'loss_reason' },
  {
    name: 'deal_unqualified_reasons',
    kind: 'named_list',
    path: '/v2/deal_unqualified_reasons',
    target: 'deal_unqualified_reason',
  },
  {
    name: 'lead_unqualified_reasons',
    kind: 'named_list',
    path: '/v2/lead_unqualified_reasons',
    target: 'lead_unqualified_reason',
  },
  { name: 'lead_sources', kind: 'named_list', path: '/v2/lead_sources', target: 'source' },
  { name: 'deal_sources', kind: 'named_list', path: '/v2/deal_sources', target: 'source' },
  {
    name: 'tags',
    kind: 'skip',
    skip: 'Tags here are labels on each record, not records: every lead, contact and deal keeps its tags as it is imported',
  },
  { name: 'lead_custom_fields', kind: 'custom_fields', path: '/v2/lead/custom_fields', target: 'lead' },
  { name: 'contact_custom_fields', kind: 'custom_fields', path: '/v2/contact/custom_fields', target: 'contact' },
  { name: 'deal_custom_fields', kind: 'custom_fields', path: '/v2/deal/custom_fields', target: 'deal' },
  { name: 'contacts (organizations)', kind: 'contacts', path: '/v2/contacts?is_organization=true' },
  { name: 'contacts (people)', kind: 'contacts', path: '/v2/contacts?is_organization=false' },
  { name: 'leads', kind: 'leads', path: '/v2/leads' },
  { name: 'deals', kind: 'deals', path: '/v2/deals' },
  // Walks the deals again: each deal's associated contacts are one request.
  { name: 'associated_contacts', kind: 'associated_contacts', path: '/v2/deals' },
  { name: 'notes', kind: 'notes', path: '/v2/notes' },
  { name: 'tasks', kind: 'tasks', path: '/v2/tasks' },
  // Calls name their outcome, so the outcomes come first (the three keep their places in the list).
  { name: 'call_outcomes', kind: 'named_list', path: '/v2/call_outcomes', target: 'call_outcome' },
  { name: 'calls', kind: 'calls', path: '/v2/calls' },
  { name: 'text_messages', kind: 'text_messages', path: '/v2/text_messages' },
  // Last: a conversion names its lead, contacts and deal, and moves the lead's notes and tasks to its contact.
  { name: 'lead_conversions', kind: 'lead_conversions', path: '/v2/lead_conversions' },
  ...['products', 'orders', 'line_items', 'visits', 'visit_outcomes', 'collaborations', 'sequences', 'documents'].map(
    (name): SellImportStep => ({ name, kind: 'skip', skip: `This product has no ${name.replace('_', ' ')}` }),
  ),
];

/** One resource's counts: written now, found written before, refused (with the reasons). */
export interface StepReport {
  imported: number;
  unchanged: number;
  skipped: number;
  /** Count per reason for skipped records. */
  reasons: Record<string, number>;
  /** The first few skipped records: their Sell id and reason. */
  examples: { sell_id: number | string; reason: string }[];
  /** Why the whole resource was not read. */
  note?: string;
}

/** An import's progress: the step and the page to read next, and the report so far. */
export interface SellImportCheckpoint {
  readonly id: string;
  status: 'running' | 'finished';
  /** Index into SELL_IMPORT_STEPS. */
  step: number;
  /** The URL of the next page of the step (null: its first page). */
  next: string | null;
  /** Pages read (all steps): what a run's page budget counts. */
  pages: number;
  /** Requests made to Sell (pages and per-deal reads). */
  requests: number;
  report: Record<string, StepReport>;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

export const emptyStepReport = (): StepReport => ({ imported: 0, unchanged: 0, skipped: 0, reasons: {}, examples: [] });

/** Counts a skipped record, keeping the first examples. */
export function skipRecord(report: StepReport, sellId: number | string, reason: string): void {
  report.skipped++;
  report.reasons[reason] = (report.reasons[reason] ?? 0) + 1;
  if (report.examples.length < REPORT_EXAMPLES) report.examples.push({ sell_id: sellId, reason });
}

/** A new import's checkpoint. */
export function newCheckpoint(id: string, now: string): SellImportCheckpoint {
  return {
    id,
    status: 'running',
    step: 0,
    next: null,
    pages: 0,
    requests: 0,
    report: {},
    started_at: now,
    updated_at: now,
    finished_at: null,
  };
}

/** Sell's lead status labels here: New and Working as such; anything else (Converted, custom labels) Working, Unqualified kept. */
export function leadStatusOf(label: unknown): 'new' | 'working' | 'unqualified' {
  const status = typeof label === 'string' ? label.trim().toLowerCase() : '';
  if (status === 'new' || status === 'unqualified') return status;
  return status === '' ? 'new' : 'working';
}

/** The category here of a Sell stage: active ones as such, closed ones by their name (Won, Lost, Unqualified). */
export function stageCategoryOf(stage: Readonly<Record<string, unknown>>): 'active' | 'won' | 'lost' | 'unqualified' | undefined {
  const words = `${String(stage.category ?? '')} ${String(stage.name ?? '')}`.toLowerCase();
  if (stage.active !== false && !/\b(won|lost|unqualified)\b/.test(words)) return 'active';
  if (/\bwon\b/.test(words)) return 'won';
  if (/\bunqualified\b/.test(words)) return 'unqualified';
  if (/\blost\b/.test(words)) return 'lost';
  return undefined;
}

/** A Sell date ("4/27/2016", Sell's custom date format) as YYYY-MM-DD; other strings unchanged. */
export function isoDateOf(value: string): string {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value.trim());
  return m ? `${m[3]}-${m[1]!.padStart(2, '0')}-${m[2]!.padStart(2, '0')}` : value;
}

/**
 * A Sell custom field value in this product's shape for a field of `type`: lists' {id, name}
 * objects as their names, Sell's m/d/yyyy dates as ISO dates, numbers from their strings.
 */
export function customFieldValueOf(type: string | undefined, value: unknown): unknown {
  const name = (v: unknown) => (typeof v === 'object' && v !== null && 'name' in v ? (v as { name: unknown }).name : v);
  if (value === null || value === undefined) return value;
  if (type === 'list') return name(value);
  if (type === 'multi_select_list') return Array.isArray(value) ? value.map(name) : value;
  if (type === 'date' && typeof value === 'string') return isoDateOf(value);
  if (type === 'number' && typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return value;
}

/** An address as Sell sends it ({line1, city, postal_code, state, country}), null when empty. */
export function addressOf(value: unknown): Record<string, string | null> | null {
  if (typeof value !== 'object' || value === null) return null;
  const a = value as Record<string, unknown>;
  const part = (k: string) => (typeof a[k] === 'string' && (a[k] as string).trim() !== '' ? (a[k] as string) : null);
  const out = {
    line1: part('line1'),
    city: part('city'),
    postal_code: part('postal_code'),
    state: part('state'),
    country: part('country'),
  };
  return Object.values(out).some((v) => v !== null) ? out : null;
}

/** The fields named, from `data`, leaving out absent ones (null kept: it clears nothing on create). */
export function pick(data: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (data[f] !== undefined && data[f] !== null && data[f] !== '') out[f] = data[f];
  return out;
}

// The admin-started import in AWS (POST /sell_imports): a job on the checkpoint's item, run by
// the sell-import-worker a slice at a time under a lease, each slice re-queueing the next.

/** Milliseconds a worker slice reads pages before it checkpoints and queues the rest (its timeout is 60 s). */
export const SELL_IMPORT_SLICE_MS = 30_000;
/**
 * Milliseconds a slice's lease holds (past the worker's 60 s timeout, below the queue's
 * visibility timeout): a crashed slice's redelivered message finds the lease expired.
 */
export const SELL_IMPORT_LEASE_MS = 90_000;
/** Receives of a Sell import message before the DLQ keeps it (the last one marks the import failed). */
export const SELL_IMPORT_QUEUE_MAX_RECEIVES = 5;

export const SELL_IMPORT_STATUSES = ['queued', 'running', 'finished', 'failed', 'cancelled'] as const;
export type SellImportStatus = (typeof SELL_IMPORT_STATUSES)[number];

/** POST /sell_imports: the customer's Sell access token (Sell's are 64 hex characters; any 16-512 printable taken). */
export const startSellImportInput = z.object({
  token: z.string().check(z.regex(/^[\x21-\x7e]{16,512}$/, 'a Sell access token: 16 to 512 printable characters, no spaces')),
});
export type StartSellImportInput = z.output<typeof startSellImportInput>;

const stepReportSchema = z.object({
  imported: z.int(),
  unchanged: z.int(),
  skipped: z.int(),
  reasons: z.record(z.string(), z.int()),
  examples: z.array(z.object({ sell_id: z.union([z.number(), z.string()]), reason: z.string() })),
  note: z.optional(z.string()),
});

/** A Sell import job as the API shows it (never its token). */
export const sellImportSchema = z.object({
  id: z.string(),
  status: z.enum(SELL_IMPORT_STATUSES),
  /** The admin who started it (creator of the records; owner when Sell's owner has no user here). */
  creator_id: z.string(),
  /** Sell's API it reads. */
  base_url: z.string(),
  /** Pages read so far (all resources). */
  pages: z.int(),
  /** Requests made to Sell so far. */
  requests: z.int(),
  /** Per resource: imported, unchanged, skipped with the reasons (so far; complete once finished). */
  report: z.record(z.string(), stepReportSchema),
  failure_reason: z.nullable(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  finished_at: z.nullable(z.string()),
});
export type SellImportView = z.output<typeof sellImportSchema>;

/** A job as stored: the view's fields, the sealed token (removed once the job ends) and the checkpoint. */
export interface SellImportJob extends Omit<SellImportView, 'pages' | 'requests' | 'report'> {
  /** The Sell token sealed (CredentialSealer) with the context sellImportSealContext(id); null once ended. */
  sealed_token: string | null;
  checkpoint: SellImportCheckpoint | null;
}

/** The context a job's token is sealed under: a sealed token opens only for its own job. */
export const sellImportSealContext = (id: string) => `sell_import:${id}`;

/** What a Sell import's events carry: the view (the report without its examples), the admin as owner_id. */
export const sellImportEventSchema = z.extend(sellImportSchema, { owner_id: z.string(), version: z.int() });

/** The job as the API shows it. */
export function sellImportView(job: SellImportJob): SellImportView {
  return {
    id: job.id,
    status: job.status,
    creator_id: job.creator_id,
    base_url: job.base_url,
    pages: job.checkpoint?.pages ?? 0,
    requests: job.checkpoint?.requests ?? 0,
    report: job.checkpoint?.report ?? {},
    failure_reason: job.failure_reason,
    created_at: job.created_at,
    updated_at: job.updated_at,
    finished_at: job.finished_at,
  };
}

/** The queue message: go on with this import (at least once; the lease makes a duplicate leave). */
export const sellImportMessageSchema = z.object({ import_id: z.string() });
export type SellImportMessage = z.output<typeof sellImportMessageSchema>;
