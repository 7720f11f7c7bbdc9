// The /v2 facade's vocabulary (issue 17 item 3): Sell's Core API v2 resources as they map onto
// the native routes, Sell's envelopes and its error shape. Pure: no I/O.

/** The record kinds that carry a Sell id (shared/platform/dynamodb/sell-ids.ts SELL_ID_TYPES). */
export type SellType =
  | 'user'
  | 'pipeline'
  | 'stage'
  | 'lead'
  | 'contact'
  | 'deal'
  | 'note'
  | 'task'
  | 'loss_reason'
  | 'deal_unqualified_reason'
  | 'lead_unqualified_reason'
  | 'source'
  | 'custom_field'
  | 'call_outcome'
  | 'call'
  | 'text_message'
  | 'tag'
  | 'lead_conversion';

/** A Sell resource the product has, and the native routes it translates onto. */
export interface SellResource {
  /** Sell's singular name: meta.type of each item. */
  readonly type: string;
  /** The kind whose Sell id its `id` is (absent: no id of its own, e.g. the account). */
  readonly idType?: SellType;
  /**
   * A kind whose number, when the record has one, is its id instead: every lead conversion has
   * its own (one imported from Sell keeps Sell's; one made here takes the next of the same
   * sequence in its transaction). Looked up first by id; a conversion from before they had
   * their own is shown by its lead's number while no conversion owns it (use-cases.ts recordOf).
   */
  readonly ownIdType?: SellType;
  /** Native path of the collection, e.g. "/leads". */
  readonly nativePath: string;
  /** Which operations Sell offers on it (and the product serves). */
  readonly ops: readonly ('list' | 'get' | 'create' | 'update' | 'delete')[];
  /** Reference fields and the kind they name (ids translated both ways). */
  readonly refs: Readonly<Record<string, SellType>>;
  /** Whether the native list takes `limit` (else it answers whole pages, sliced here). */
  readonly paged: boolean;
  /** Attributes Sell shows that the native record lacks (e.g. a source list's resource type). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /**
   * Sell's documented filters: each names the native list's query parameter(s) it becomes, or
   * null when the facade applies it itself on each record (the native list lacks it; whole
   * lists apply every filter here). `custom_fields[<name>]` goes to the native list when
   * `customFields` is set. Another filter answers 422. Absent: every filter goes to the native list.
   */
  readonly filters?: Readonly<Record<string, string | readonly string[] | null>>;
  /** Whether `custom_fields[<name>]=` filters go to the native list (leads, contacts, deals). */
  readonly customFields?: boolean;
  /**
   * Keyset lists: Sell's sort fields and the native sort_by each becomes (another answers 422);
   * absent: sort_by goes to the native list as it is. Whole lists sort here on any field.
   */
  readonly sorts?: Readonly<Record<string, string>>;
  /** The order without sort_by, in Sell's syntax ("id:asc"), read through `sorts`. */
  readonly defaultSort?: string;
  /** Native query parameters always sent, which a record read by id must match too. */
  readonly fixedQuery?: Readonly<Record<string, string>>;
  /** The native record as this resource's (native-id) record, before Sell ids are put in. */
  readonly present?: (record: Readonly<Record<string, unknown>>) => Record<string, unknown>;
  /** Fields holding arrays of references and the kind they name (a call's associated_deal_ids). */
  readonly listRefs?: Readonly<Record<string, SellType>>;
  /** Fields the product sets itself on this resource: dropped from writes, like READ_ONLY_FIELDS. */
  readonly readOnly?: readonly string[];
  /**
   * Fields the native update does not take: a PUT may send them back unchanged (they are then
   * dropped); a different value answers 422.
   */
  readonly fixedOnUpdate?: readonly string[];
  /** The one order the native list comes in ("made_at:desc"): sort_by may name it, and nothing else. */
  readonly nativeOrder?: string;
  /**
   * The native list's query from the translated filters (e.g. resource_type + resource_id as
   * lead_id); a string is the refusal's message (422).
   */
  readonly nativeQuery?: (filters: Readonly<Record<string, string>>) => Record<string, string> | string;
}

const USER_REFS = {} as const;
const LEAD_REFS = {
  owner_id: 'user',
  creator_id: 'user',
  source_id: 'source',
  unqualified_reason_id: 'lead_unqualified_reason',
  converted_contact_id: 'contact',
  converted_organization_id: 'contact',
  converted_deal_id: 'deal',
} as const;
const CONTACT_REFS = { owner_id: 'user', creator_id: 'user', contact_id: 'contact', source_id: 'source' } as const;
const DEAL_REFS = {
  owner_id: 'user',
  creator_id: 'user',
  contact_id: 'contact',
  organization_id: 'contact',
  pipeline_id: 'pipeline',
  stage_id: 'stage',
  source_id: 'source',
  loss_reason_id: 'loss_reason',
  unqualified_reason_id: 'deal_unqualified_reason',
  last_stage_change_by_id: 'user',
} as const;
const CRUD = ['list', 'get', 'create', 'update', 'delete'] as const;
const NAMED_REFS = { creator_id: 'user' } as const;

const ADDRESS_FILTERS = {
  'address[city]': 'city',
  'address[postal_code]': 'postal_code',
  'address[state]': 'state',
  'address[country]': 'country',
} as const;
const NAMED_FILTERS = { ids: null, name: null, creator_id: null } as const;

/**
 * A converted lead as Sell's lead conversion (one per lead): the record id is the lead's, and
 * its Sell id is the conversion's own number (type lead_conversion, which names the lead).
 */
function leadConversionOf(lead: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return {
    id: lead.id,
    lead_id: lead.id,
    individual_id: lead.converted_contact_id ?? null,
    organization_id: lead.converted_organization_id ?? null,
    deal_id: lead.converted_deal_id ?? null,
    // The product does not record who converted a lead.
    creator_id: null,
    created_at: lead.converted_at ?? null,
  };
}

/**
 * Sell's call filters as the native list's: resource_type + resource_id (each needs the other)
 * as lead_id or contact_id; associated_deal_id is already the native deal_id. Without one, the
 * native list is the caller's own calls.
 */
function callsQuery(filters: Readonly<Record<string, string>>): Record<string, string> | string {
  const { resource_type, resource_id, ...rest } = filters;
  if (resource_type === undefined && resource_id === undefined) return rest;
  if (resource_type === undefined || resource_id === undefined) return 'resource_type and resource_id are given together';
  if (resource_type !== 'lead' && resource_type !== 'contact') return 'resource_type must be lead or contact';
  if (rest.deal_id !== undefined) return 'associated_deal_id is not combined with resource_type and resource_id';
  return { ...rest, [`${resource_type}_id`]: resource_id };
}

/** Sell's resources that this product has, by the name in the path. */
export const SELL_RESOURCES: Readonly<Record<string, SellResource>> = {
  // Whole lists (paged: false) are small: read whole, then filtered, sorted and sliced here.
  users: {
    type: 'user',
    idType: 'user',
    nativePath: '/users',
    paged: false,
    ops: ['list', 'get'],
    refs: { ...USER_REFS, reports_to: 'user' },
    filters: { ids: null, name: null, email: null, role: null, status: null, confirmed: null, reports_to: null },
  },
  leads: {
    type: 'lead',
    idType: 'lead',
    nativePath: '/leads',
    paged: true,
    ops: CRUD,
    refs: LEAD_REFS,
    filters: {
      owner_id: 'owner_id',
      source_id: 'source_id',
      status: 'status',
      tags: 'tags',
      ...ADDRESS_FILTERS,
      creator_id: null,
      first_name: null,
      last_name: null,
      organization_name: null,
      email: null,
      phone: null,
      mobile: null,
    },
    customFields: true,
    // Sell's default is updated_at; here id (creation order), which the native list reads from an index.
    sorts: {
      id: 'created_at',
      created_at: 'created_at',
      updated_at: 'updated_at',
      first_name: 'first_name',
      last_name: 'last_name',
      organization_name: 'organization_name',
      status: 'status',
    },
    defaultSort: 'id:asc',
  },
  contacts: {
    type: 'contact',
    idType: 'contact',
    nativePath: '/contacts',
    paged: true,
    ops: CRUD,
    refs: CONTACT_REFS,
    filters: {
      owner_id: 'owner_id',
      contact_id: 'contact_id',
      is_organization: 'is_organization',
      source_id: 'source_id',
      prospect_status: 'prospect_status',
      customer_status: 'customer_status',
      tags: 'tags',
      ...ADDRESS_FILTERS,
      creator_id: null,
      name: null,
      first_name: null,
      last_name: null,
      email: null,
      phone: null,
      mobile: null,
    },
    customFields: true,
    sorts: {
      id: 'created_at',
      created_at: 'created_at',
      updated_at: 'updated_at',
      name: 'name',
      first_name: 'first_name',
      last_name: 'last_name',
    },
    defaultSort: 'id:asc',
  },
  deals: {
    type: 'deal',
    idType: 'deal',
    nativePath: '/deals',
    paged: true,
    ops: CRUD,
    refs: DEAL_REFS,
    filters: {
      owner_id: 'owner_id',
      contact_id: 'contact_id',
      organization_id: 'organization_id',
      hot: 'hot',
      source_id: 'source_id',
      stage_id: 'stage_id',
      pipeline_id: 'pipeline_id',
      tags: 'tags',
      estimated_close_date: ['estimated_close_date_from', 'estimated_close_date_to'],
      creator_id: null,
      name: null,
    },
    customFields: true,
    sorts: {
      id: 'created_at',
      created_at: 'created_at',
      updated_at: 'updated_at',
      value: 'value',
      name: 'name',
      estimated_close_date: 'estimated_close_date',
      last_stage_change_at: 'last_stage_change_at',
    },
    defaultSort: 'id:asc',
  },
  pipelines: {
    type: 'pipeline',
    idType: 'pipeline',
    nativePath: '/pipelines',
    paged: false,
    ops: ['list'],
    refs: {},
    filters: { ids: null, name: null, disabled: null },
  },
  stages: {
    type: 'stage',
    idType: 'stage',
    nativePath: '/stages',
    paged: false,
    ops: ['list'],
    refs: { pipeline_id: 'pipeline' },
    filters: { ids: null, pipeline_id: 'pipeline_id', name: null, active: null },
  },
  // Notes and tasks: the native order (notes by creation, tasks open first by due time); no sort_by.
  notes: {
    type: 'note',
    idType: 'note',
    nativePath: '/notes',
    paged: true,
    ops: CRUD,
    refs: { creator_id: 'user' },
    filters: { resource_type: 'resource_type', resource_id: 'resource_id', creator_id: null, q: null },
    sorts: {},
  },
  tasks: {
    type: 'task',
    idType: 'task',
    nativePath: '/tasks',
    paged: true,
    ops: CRUD,
    refs: { creator_id: 'user', owner_id: 'user' },
    filters: {
      owner_id: 'owner_id',
      completed: 'completed',
      overdue: 'overdue',
      resource_type: 'resource_type',
      resource_id: 'resource_id',
      creator_id: null,
      q: null,
      type: null,
      remind: null,
    },
    sorts: {},
  },
  loss_reasons: {
    type: 'loss_reason',
    idType: 'loss_reason',
    nativePath: '/loss_reasons',
    paged: false,
    ops: CRUD,
    refs: NAMED_REFS,
    filters: NAMED_FILTERS,
  },
  deal_unqualified_reasons: {
    type: 'deal_unqualified_reason',
    idType: 'deal_unqualified_reason',
    nativePath: '/deal_unqualified_reasons',
    paged: false,
    ops: CRUD,
    refs: NAMED_REFS,
    filters: NAMED_FILTERS,
  },
  lead_unqualified_reasons: {
    type: 'lead_unqualified_reason',
    idType: 'lead_unqualified_reason',
    nativePath: '/lead_unqualified_reasons',
    paged: false,
    ops: ['list'],
    refs: NAMED_REFS,
    filters: NAMED_FILTERS,
  },
  // One list of sources here: Sell's lead_sources, deal_sources and legacy sources all read it.
  sources: {
    type: 'source',
    idType: 'source',
    nativePath: '/sources',
    paged: false,
    ops: CRUD,
    refs: NAMED_REFS,
    filters: NAMED_FILTERS,
  },
  lead_sources: {
    type: 'lead_source',
    idType: 'source',
    nativePath: '/sources',
    paged: false,
    ops: CRUD,
    refs: NAMED_REFS,
    extra: { resource_type: 'lead' },
    filters: NAMED_FILTERS,
  },
  deal_sources: {
    type: 'deal_source',
    idType: 'source',
    nativePath: '/sources',
    paged: false,
    ops: CRUD,
    refs: NAMED_REFS,
    extra: { resource_type: 'deal' },
    filters: NAMED_FILTERS,
  },
  // Converted leads (GET); POST converts a lead through the native conversion (use-cases.ts).
  lead_conversions: {
    type: 'lead_conversion',
    idType: 'lead',
    ownIdType: 'lead_conversion',
    nativePath: '/leads',
    paged: true,
    ops: ['list', 'get', 'create'],
    refs: { lead_id: 'lead', individual_id: 'contact', organization_id: 'contact', deal_id: 'deal' },
    filters: { lead_id: null, individual_id: null, organization_id: null, deal_id: null },
    sorts: { id: 'created_at' },
    defaultSort: 'id:desc',
    fixedQuery: { status: 'converted' },
    present: leadConversionOf,
  },
  // Calls (F2.4): logged by the caller (user_id is the caller's; external_id is a provider's,
  // set here only by the voice integrations); always newest made_at first, as in Sell.
  calls: {
    type: 'call',
    idType: 'call',
    nativePath: '/calls',
    paged: true,
    ops: CRUD,
    // associated_deal_id is a filter only: its value a deal's Sell id.
    refs: { user_id: 'user', outcome_id: 'call_outcome', associated_deal_id: 'deal' },
    listRefs: { associated_deal_ids: 'deal' },
    readOnly: ['user_id', 'external_id', 'source'],
    fixedOnUpdate: ['phone_number', 'incoming', 'made_at'],
    filters: {
      resource_type: 'resource_type',
      resource_id: 'resource_id',
      associated_deal_id: 'deal_id',
      user_id: null,
    },
    sorts: {},
    nativeOrder: 'made_at:desc',
    nativeQuery: callsQuery,
  },
  call_outcomes: {
    type: 'call_outcome',
    idType: 'call_outcome',
    nativePath: '/call_outcomes',
    paged: false,
    ops: ['list'],
    refs: NAMED_REFS,
    filters: NAMED_FILTERS,
  },
  // Read-only in Sell; newest first (Sell's default id:desc, the native order).
  text_messages: {
    type: 'text_message',
    idType: 'text_message',
    nativePath: '/text_messages',
    paged: true,
    ops: ['list', 'get'],
    refs: { user_id: 'user' },
    listRefs: { associated_deal_ids: 'deal' },
    filters: { resource_type: 'resource_type', resource_id: 'resource_id' },
    sorts: {},
    nativeOrder: 'id:desc',
  },
  // Sell's tags over the facade's tag registry (use-cases.ts); no native route.
  tags: {
    type: 'tag',
    idType: 'tag',
    nativePath: '',
    paged: false,
    ops: CRUD,
    refs: NAMED_REFS,
    filters: { ids: null, name: null, creator_id: null, resource_type: null },
  },
};

/**
 * Sell resources this product does not have: answered 501 with Sell's error envelope. Other
 * unknown paths are 404.
 */
export const LACKING_RESOURCES: readonly string[] = [
  'products',
  'orders',
  'line_items',
  'visits',
  'visit_outcomes',
  'collaborations',
  'sequences',
  'sequence_enrollments',
  'documents',
  'lead_statuses',
];

/** Polymorphic references (notes, tasks): resource_type names the kind of resource_id. */
export const RESOURCE_TYPES: Readonly<Record<string, SellType>> = { lead: 'lead', contact: 'contact', deal: 'deal' };

/** Fields Sell clients may send back but the product sets itself: dropped from writes. */
export const READ_ONLY_FIELDS = new Set([
  'id',
  'creator_id',
  'created_at',
  'updated_at',
  'version',
  'organization_id',
  'last_stage_change_by_id',
  'last_stage_change_at',
  'converted_at',
  'converted_contact_id',
  'converted_organization_id',
  'converted_deal_id',
  'completed_at',
  'overdue',
  'dropbox_email',
  'last_activity_at',
]);

/** `page` and `per_page` as Sell reads them (1-based page; 25 per page by default, at most 100). */
export const DEFAULT_PER_PAGE = 25;
export const MAX_PER_PAGE = 100;
/**
 * A page number without the `cursor` of a next_page link walks the list from its start: pages
 * are counted over the native keyset list, so page N reads (N-1) x per_page records first. The
 * walk is bounded to this many records before the page; beyond it, follow next_page links
 * (which carry the position as `cursor`, so each costs one page's reads).
 */
export const MAX_SKIPPED_RECORDS = 10_000;

/** `sort_by=field[:asc|:desc]` as the native `sort_by` and `sort_order`. */
export function parseSort(value: string | undefined): { sort_by: string; sort_order: 'asc' | 'desc' } | undefined {
  if (!value) return undefined;
  const [field, order = 'asc'] = value.split(':');
  if (!field || (order !== 'asc' && order !== 'desc')) return undefined;
  return { sort_by: field, sort_order: order };
}

const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

/** One error of Sell's envelope. */
export interface SellError {
  code: string;
  message: string;
  details?: string;
  resource?: string;
  field?: string;
}

/** Sell's error envelope (its errors page): `http_status` "422 Unprocessable Entity", `logref` the request id. */
export function errorEnvelope(status: number, errors: readonly SellError[], logref: string) {
  return {
    errors: errors.map((error) => ({
      error: {
        ...(error.resource ? { resource: error.resource } : {}),
        ...(error.field ? { field: error.field } : {}),
        code: error.code,
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
      },
      meta: { type: 'error', links: { more_info: 'docs/error-codes.md' } },
    })),
    meta: {
      type: 'errors',
      http_status: `${status} ${REASON_PHRASES[status] ?? 'Error'}`,
      logref,
      links: { more_info: 'docs/sell-facade.md' },
    },
  };
}

/**
 * A native problem+json (status, code, detail, errors[] of {field, message, code}) as Sell's
 * errors: one per field problem (a JSON Pointer under the request's data), else one.
 */
export function errorsOfProblem(body: unknown, resource: string | undefined): SellError[] {
  const problem = (body ?? {}) as {
    code?: unknown;
    detail?: unknown;
    title?: unknown;
    message?: unknown;
    errors?: { field?: string; message?: string; code?: string }[];
  };
  const fields = Array.isArray(problem.errors) ? problem.errors : [];
  if (fields.length > 0) {
    return fields.map((f) => ({
      code: f.code ?? String(problem.code ?? 'invalid'),
      message: f.message ?? String(problem.detail ?? ''),
      ...(resource ? { resource } : {}),
      ...(f.field ? { field: `/${f.field.replace(/^(body|query|params)\./, '').replaceAll('.', '/')}` } : {}),
    }));
  }
  return [
    {
      code: String(problem.code ?? 'error'),
      message: String(problem.detail ?? problem.title ?? problem.message ?? 'The request failed'),
      ...(resource ? { resource } : {}),
    },
  ];
}

/** Sell's deal value: an integer when whole, else a string with two decimals. */
export function sellMoney(value: unknown): unknown {
  if (typeof value !== 'string' || !/^-?\d+(\.\d+)?$/.test(value)) return value;
  const number = Number(value);
  return Number.isInteger(number) ? number : number.toFixed(2);
}

/** Lead statuses: Sell shows labels ("New"), the product keys ("new"). */
export const sellLeadStatus = (status: unknown) =>
  typeof status === 'string' ? status.charAt(0).toUpperCase() + status.slice(1) : status;
export const nativeLeadStatus = (status: unknown) => (typeof status === 'string' ? status.toLowerCase() : status);

/** The collection envelope: items with their meta, and count (this page's) and links. */
export function collectionEnvelope(
  type: string,
  items: readonly Record<string, unknown>[],
  links: Record<string, string | null>,
) {
  return {
    items: items.map((data) => ({ data, meta: { type } })),
    meta: { type: 'collection', count: items.length, links },
  };
}

/**
 * The record events whose tags the registry follows (consumer `tag-registry`): every write of a
 * lead's, contact's or deal's `tags` field is a create or an update, whichever API made it.
 */
export const TAG_REGISTRY_EVENTS = [
  'lead.created',
  'lead.updated',
  'contact.created',
  'contact.updated',
  'deal.created',
  'deal.updated',
] as const;
