import {
  collectionEnvelope,
  DEFAULT_PER_PAGE,
  errorEnvelope,
  errorsOfProblem,
  LACKING_RESOURCES,
  MAX_PER_PAGE,
  MAX_SKIPPED_RECORDS,
  nativeLeadStatus,
  parseSort,
  READ_ONLY_FIELDS,
  RESOURCE_TYPES,
  SELL_RESOURCES,
  sellLeadStatus,
  sellMoney,
  type SellError,
  type SellResource,
  type SellType,
} from './domain.ts';
import { newId } from '#shared/kernel/ids.ts';
import { normalizeTags, tagKey } from '#shared/kernel/tags.ts';
import type { Json, NativeAnswer, NativeApi, SellIdLookup, SellTag, TagRegistry } from './ports.ts';

// The /v2 facade: one Sell request in, native route calls (with the caller's own credentials,
// so every rule, visibility check and event applies) and Sell's envelopes out. Ids are Sell ids
// both ways; everything else passes through with Sell's names where they differ.

export interface FacadeDeps {
  readonly native: NativeApi;
  readonly ids: SellIdLookup;
  /** The tag registry (/v2/tags); optional so that callers serving no tags need not wire it. */
  readonly tags?: TagRegistry;
  /** ISO time now (tags' created_at and updated_at). */
  readonly now?: () => string;
}

/** A Sell request: the path after /v2/ (no ".json"), its query, its JSON body, and the base for links. */
export interface FacadeRequest {
  readonly method: string;
  readonly segments: readonly string[];
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** "https://host/v2": what links start with. */
  readonly base: string;
}

export interface FacadeAnswer {
  readonly status: number;
  /** Absent on 204. */
  readonly body?: unknown;
}

/** A refusal in Sell's terms: the status and its errors. */
export class FacadeError extends Error {
  readonly status: number;
  readonly errors: SellError[];
  constructor(status: number, errors: SellError[]) {
    super(errors[0]?.message ?? `HTTP ${status}`);
    this.status = status;
    this.errors = errors;
  }
}

const notFound = (what: string) => new FacadeError(404, [{ code: 'not_found', message: `${what} not found` }]);

function fromNative(answer: NativeAnswer, resource: string | undefined): never {
  throw new FacadeError(answer.status, errorsOfProblem(answer.body, resource));
}

/** Serves one Sell request; refusals are FacadeErrors (the caller shapes the envelope). */
export async function serveSell(deps: FacadeDeps, request: FacadeRequest): Promise<FacadeAnswer> {
  const [name, second, third, fourth] = request.segments;
  const method = request.method.toUpperCase();
  if (!name) throw notFound('Resource');
  if (name === 'accounts' && second === 'self' && !third && method === 'GET') return account(deps);
  if (name === 'users' && second === 'self' && !third && method === 'GET') {
    const answer = await deps.native.call('GET /users/self', {});
    if (answer.status !== 200) fromNative(answer, 'user');
    return single('user', (await toSell(deps, SELL_RESOURCES.users!, [answer.body]))[0]!);
  }
  if (['lead', 'contact', 'deal'].includes(name) && second === 'custom_fields') {
    if (!third && method === 'GET') return customFields(deps, name, request);
    throw new FacadeError(405, [{ code: 'method_not_allowed', message: 'Custom fields are read-only here, as in Sell' }]);
  }
  if (name === 'deals' && third === 'associated_contacts') return associatedContacts(deps, method, second, fourth, request);
  if (LACKING_RESOURCES.includes(name)) {
    throw new FacadeError(501, [
      {
        code: 'not_implemented',
        message: `This CRM has no ${name}: the resource is not available through its Sell-compatible API`,
        resource: name,
      },
    ]);
  }
  const resource = SELL_RESOURCES[name];
  if (!resource || third !== undefined) throw notFound(`Resource /v2/${request.segments.join('/')}`);
  if (name === 'tags' && !(method === 'GET' && second === undefined)) return tagCall(deps, method, second, request);
  if (name === 'lead_conversions' && method === 'POST' && second === undefined) return convertLead(deps, request);
  if (second === undefined) {
    if (method === 'GET' && resource.ops.includes('list')) return list(deps, resource, name, request);
    if (method === 'POST' && resource.ops.includes('create')) return create(deps, resource, request);
  } else {
    const n = sellNumber(second);
    if (method === 'GET' && resource.ops.includes('get')) return getOne(deps, resource, n);
    if (method === 'PUT' && resource.ops.includes('update')) return update(deps, resource, n, request);
    if (method === 'DELETE' && resource.ops.includes('delete')) return remove(deps, resource, n);
  }
  throw new FacadeError(405, [{ code: 'method_not_allowed', message: `${method} is not offered on /v2/${name}` }]);
}

function sellNumber(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw notFound(`Record ${raw}`);
  return n;
}

const single = (type: string, data: Record<string, unknown>): FacadeAnswer => ({ status: 200, body: { data, meta: { type } } });

async function nativeId(deps: FacadeDeps, resource: SellResource, n: number): Promise<string> {
  const id = await recordOf(deps, resource, n);
  if (!id) throw notFound(`${resource.type} ${n}`);
  return id;
}

/**
 * The record a Sell id names: by its own number (ownIdType: one GetItem), else by its idType's,
 * but then only when that record has no number of its own (a lead conversion made before
 * conversions took their own numbers, until the migration 2026-12-conversion-sell-ids gives it one).
 */
async function recordOf(deps: FacadeDeps, resource: SellResource, n: number): Promise<string | undefined> {
  if (!resource.ownIdType) return deps.ids.idOf(resource.idType!, n);
  const own = await deps.ids.idOf(resource.ownIdType, n);
  if (own) return own;
  const byIdType = await deps.ids.idOf(resource.idType!, n);
  if (!byIdType) return undefined;
  const numbered = (await deps.ids.numbersOf(resource.ownIdType, [byIdType])).get(byIdType);
  return numbered === undefined ? byIdType : undefined;
}

async function getOne(deps: FacadeDeps, resource: SellResource, n: number): Promise<FacadeAnswer> {
  const id = await nativeId(deps, resource, n);
  const answer = await deps.native.call(`GET ${resource.nativePath}/{id}`, { params: { id } });
  if (answer.status !== 200) fromNative(answer, resource.type);
  if (!fitsFixedQuery(resource, answer.body)) throw notFound(`${resource.type} ${n}`);
  return single(resource.type, (await toSell(deps, resource, [answer.body]))[0]!);
}

/** Whether a record read by id belongs to the resource (a lead conversion is a converted lead). */
const fitsFixedQuery = (resource: SellResource, record: Json) =>
  Object.entries(resource.fixedQuery ?? {}).every(([key, value]) => String(record[key]) === value);

function dataOf(body: unknown): Record<string, unknown> {
  const data = (body as { data?: unknown } | null)?.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new FacadeError(422, [{ code: 'invalid_envelope', message: 'The body must be {"data": {...}}', field: '/data' }]);
  }
  return data as Record<string, unknown>;
}

async function create(deps: FacadeDeps, resource: SellResource, request: FacadeRequest): Promise<FacadeAnswer> {
  const body = await toNative(deps, resource, dataOf(request.body));
  const answer = await deps.native.call(`POST ${resource.nativePath}`, { body });
  if (answer.status !== 201 && answer.status !== 200) fromNative(answer, resource.type);
  await registerTags(deps, resource, body.tags);
  return single(resource.type, (await toSell(deps, resource, [answer.body]))[0]!);
}

async function update(deps: FacadeDeps, resource: SellResource, n: number, request: FacadeRequest): Promise<FacadeAnswer> {
  const id = await nativeId(deps, resource, n);
  const body = await toNative(deps, resource, dataOf(request.body));
  await dropUnchanged(deps, resource, id, body);
  // PUT is Sell's partial update: the native PATCH, without If-Match (last write wins, as in Sell).
  const answer = await deps.native.call(`PATCH ${resource.nativePath}/{id}`, { params: { id }, body });
  if (answer.status !== 200) fromNative(answer, resource.type);
  await registerTags(deps, resource, body.tags);
  return single(resource.type, (await toSell(deps, resource, [answer.body]))[0]!);
}

/**
 * Takes out of a PUT's body the fields the native update does not take (resource.fixedOnUpdate)
 * when they repeat the record's values (instants compared as instants); a change is a 422.
 */
async function dropUnchanged(deps: FacadeDeps, resource: SellResource, id: string, body: Record<string, unknown>) {
  const fixed = (resource.fixedOnUpdate ?? []).filter((key) => key in body);
  if (fixed.length === 0) return;
  const answer = await deps.native.call(`GET ${resource.nativePath}/{id}`, { params: { id } });
  if (answer.status !== 200) fromNative(answer, resource.type);
  const same = (a: unknown, b: unknown) =>
    a === b ||
    (typeof a === 'string' && typeof b === 'string' && Date.parse(a) === Date.parse(b) && !Number.isNaN(Date.parse(a)));
  for (const key of fixed) {
    if (!same(body[key], answer.body[key])) {
      throw new FacadeError(422, [
        {
          code: 'read_only',
          message: `${key} of a ${resource.type} is not changed here`,
          resource: resource.type,
          field: `/data/${key}`,
        },
      ]);
    }
    delete body[key];
  }
}

async function remove(deps: FacadeDeps, resource: SellResource, n: number): Promise<FacadeAnswer> {
  const id = await nativeId(deps, resource, n);
  const answer = await deps.native.call(`DELETE ${resource.nativePath}/{id}`, { params: { id } });
  if (answer.status !== 204) fromNative(answer, resource.type);
  return { status: 204 };
}

/** Query parameters the facade reads itself; every other one is a filter. */
const PAGING_PARAMS = new Set(['page', 'per_page', 'sort_by', 'ids', 'cursor']);
const CUSTOM_FIELD_FILTER = /^custom_fields\[[^\]]+\]$/;

/** A keyset list reads at most this many native records per request for filters applied here. */
export const MAX_SCANNED_RECORDS = 2_000;

function positiveInt(raw: string | undefined, fallback: number, field: string, max?: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || (max !== undefined && n > max)) {
    throw new FacadeError(422, [
      { code: 'invalid_argument', message: `${field} must be an integer from 1${max ? ` to ${max}` : ''}`, field },
    ]);
  }
  return n;
}

const invalidSort = (message: string) => new FacadeError(422, [{ code: 'invalid_argument', message, field: 'sort_by' }]);

/** `page`, `per_page` and `sort_by` of a list request, checked. */
function pagingOf(request: FacadeRequest) {
  const { query } = request;
  const page = positiveInt(query.page, 1, 'page');
  const perPage = positiveInt(query.per_page, DEFAULT_PER_PAGE, 'per_page', MAX_PER_PAGE);
  const sort = parseSort(query.sort_by);
  if (query.sort_by !== undefined && !sort) throw invalidSort('sort_by must be field, field:asc or field:desc');
  return { page, perPage, sort };
}

async function list(deps: FacadeDeps, resource: SellResource, name: string, request: FacadeRequest): Promise<FacadeAnswer> {
  const { query } = request;
  const { page, perPage, sort } = pagingOf(request);
  if (!resource.paged) return listWhole(deps, resource, name, request, page, perPage, sort);
  if (query.ids !== undefined) return listByIds(deps, resource, name, query.ids, request);
  const split = await splitFilters(deps, resource, query);
  const here = split.here;
  const filters = resource.nativeQuery ? resource.nativeQuery(split.native) : split.native;
  if (typeof filters === 'string') throw new FacadeError(422, [{ code: 'invalid_argument', message: filters }]);
  Object.assign(filters, resource.fixedQuery, nativeSort(resource, sort ?? parseSort(resource.defaultSort)));
  const skip = (page - 1) * perPage;
  if (query.cursor === undefined && skip > MAX_SKIPPED_RECORDS) {
    throw new FacadeError(422, [
      {
        code: 'page_too_deep',
        message: `page reaches past ${MAX_SKIPPED_RECORDS} records: follow the next_page links (they carry a cursor) instead`,
        field: 'page',
      },
    ]);
  }
  const keep = here.length === 0 ? undefined : (record: Json) => here.every((match) => match(record));
  const window = await pagedWindow(deps, resource, filters, query.cursor ? 0 : skip, perPage, query.cursor, keep);
  const items = await toSell(deps, resource, window.items);
  return { status: 200, body: collectionEnvelope(resource.type, items, links(request, name, page, perPage, window.next)) };
}

/** A Sell sort as the native list's sort_by and sort_order (a keyset list sorts natively or not at all). */
function nativeSort(resource: SellResource, sort: { sort_by: string; sort_order: 'asc' | 'desc' } | undefined) {
  if (!sort) return {};
  if (resource.nativeOrder === `${sort.sort_by}:${sort.sort_order}`) return {};
  if (!resource.sorts) return sort;
  const field = resource.sorts[sort.sort_by];
  if (!field) {
    const fields = Object.keys(resource.sorts);
    throw invalidSort(
      fields.length === 0
        ? `${resource.type} lists come in one order here: leave sort_by out${
            resource.nativeOrder ? ` or give ${resource.nativeOrder}` : ''
          }`
        : `sort_by must be one of ${fields.join(', ')}`,
    );
  }
  return { sort_by: field, sort_order: sort.sort_order };
}

/** Records `skip`..`skip+take` of a native keyset list (those `keep` keeps), and the cursor after them (null: the end). */
async function pagedWindow(
  deps: FacadeDeps,
  resource: SellResource,
  filters: Record<string, string>,
  skip: number,
  take: number,
  cursor: string | undefined,
  keep?: (record: Json) => boolean,
): Promise<{ items: Json[]; next: string | null }> {
  let position: string | null = cursor ?? null;
  let skipped = 0;
  let scanned = 0;
  const items: Json[] = [];
  for (;;) {
    // Asking for no more than still needed keeps the native cursor exactly after the last record used.
    const need = skipped < skip ? Math.min(MAX_PER_PAGE, skip - skipped) : take - items.length;
    if (need <= 0) break;
    if (keep && scanned >= MAX_SCANNED_RECORDS) {
      // A filter applied here that matches few: a short page, and next_page goes on from here.
      if (skipped < skip) {
        throw new FacadeError(422, [
          { code: 'page_too_deep', message: 'follow the next_page links of this filter instead of page numbers', field: 'page' },
        ]);
      }
      break;
    }
    const answer = await deps.native.call(`GET ${resource.nativePath}`, {
      query: { ...filters, limit: String(need), ...(position ? { cursor: position } : {}) },
    });
    if (answer.status !== 200) fromNative(answer, resource.type);
    const read = answer.body.items ?? [];
    scanned += read.length;
    const got = keep ? read.filter(keep) : read;
    if (skipped < skip) skipped += got.length;
    else items.push(...got);
    position = answer.body.next_cursor ?? null;
    if (!position) break;
  }
  return { items, next: position };
}

/** Small lists (users, pipelines, stages, reasons, sources, tags): read whole, then filtered, sorted, sliced here. */
async function listWhole(
  deps: FacadeDeps,
  resource: SellResource,
  name: string,
  request: FacadeRequest,
  page: number,
  perPage: number,
  sort: { sort_by: string; sort_order: 'asc' | 'desc' } | undefined,
  /** The records, when the caller has read them (custom fields). */
  given?: Json[],
): Promise<FacadeAnswer> {
  const { query } = request;
  const native: Record<string, string> = {};
  const here: [string, string][] = [];
  for (const [key, value] of Object.entries(query)) {
    if (PAGING_PARAMS.has(key) && key !== 'ids') continue;
    const target = resource.filters ? resource.filters[key] : null;
    if (target === undefined) throw unknownFilter(resource, key);
    if (target === null) here.push([key, value]);
    else
      for (const param of typeof target === 'string' ? [target] : target)
        native[param] = await nativeValue(deps, resource, key, value, query);
  }
  const records =
    given ??
    (resource === SELL_RESOURCES.tags
      ? ((await tagsOf(deps).list()) as unknown as Json[])
      : await wholeList(deps, resource, native));
  const all = (await toSell(deps, resource, records)).filter((data) =>
    here.every(([key, value]) => (key === 'ids' ? value.split(',').includes(String(data.id)) : sameValue(data[key], value))),
  );
  const order = sort ?? { sort_by: 'id', sort_order: 'asc' };
  const direction = order.sort_order === 'asc' ? 1 : -1;
  all.sort((a, b) => direction * compareValues(a[order.sort_by], b[order.sort_by]) || compareValues(a.id, b.id));
  const skip = (page - 1) * perPage;
  const items = all.slice(skip, skip + perPage);
  const next = skip + perPage < all.length ? '' : null;
  return { status: 200, body: collectionEnvelope(resource.type, items, links(request, name, page, perPage, next)) };
}

/** Every record of a native list that answers whole pages. */
async function wholeList(deps: FacadeDeps, resource: SellResource, query: Record<string, string>): Promise<Json[]> {
  const all: Json[] = [];
  let cursor: string | null = null;
  for (let round = 0; round < 50; round++) {
    const answer = await deps.native.call(`GET ${resource.nativePath}`, {
      query: { ...query, ...(cursor ? { cursor } : {}) },
    });
    if (answer.status !== 200) fromNative(answer, resource.type);
    all.push(...(answer.body.items ?? []));
    cursor = answer.body.next_cursor ?? null;
    if (!cursor) break;
  }
  return all;
}

/** A filter value against a Sell value: numbers and booleans by their text, strings exactly. */
function sameValue(actual: unknown, wanted: string): boolean {
  if (actual === null || actual === undefined) return wanted === '' || wanted === 'null';
  return String(actual) === wanted;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

const unknownFilter = (resource: SellResource, key: string) =>
  new FacadeError(422, [
    {
      code: 'invalid_argument',
      message: `${key} is not a filter of ${resource.type} lists here${
        resource.filters ? ` (filters: ${Object.keys(resource.filters).join(', ')})` : ''
      }`,
      field: key,
    },
  ]);

async function listByIds(
  deps: FacadeDeps,
  resource: SellResource,
  name: string,
  raw: string,
  request: FacadeRequest,
): Promise<FacadeAnswer> {
  const numbers = raw.split(',').filter(Boolean).map(Number);
  if (numbers.length > MAX_PER_PAGE || numbers.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new FacadeError(422, [
      { code: 'invalid_argument', message: `ids must be up to ${MAX_PER_PAGE} Sell ids`, field: 'ids' },
    ]);
  }
  const found: Json[] = [];
  for (const n of numbers) {
    const id = await recordOf(deps, resource, n);
    if (!id) continue;
    // Each through the native read: a record the caller may not see is left out, as a missing one.
    const answer = await deps.native.call(`GET ${resource.nativePath}/{id}`, { params: { id } });
    if (answer.status === 200) {
      if (fitsFixedQuery(resource, answer.body)) found.push(answer.body);
    } else if (answer.status !== 404 && answer.status !== 403) fromNative(answer, resource.type);
  }
  const items = await toSell(deps, resource, found);
  return { status: 200, body: collectionEnvelope(resource.type, items, links(request, name, 1, MAX_PER_PAGE, null)) };
}

function links(request: FacadeRequest, name: string, page: number, perPage: number, next: string | null) {
  const base = `${request.base}/${name}`;
  const keep = Object.entries(request.query).filter(([k]) => k !== 'page' && k !== 'per_page' && k !== 'cursor');
  const at = (p: number, cursor?: string) => {
    const params = new URLSearchParams([...keep, ['page', String(p)], ['per_page', String(perPage)]]);
    if (cursor) params.set('cursor', cursor);
    return `${base}?${params.toString()}`;
  };
  return {
    self: at(page, request.query.cursor),
    first_page: at(1),
    prev_page: page > 1 ? at(page - 1) : null,
    next_page: next === null ? null : at(page + 1, next || undefined),
  };
}

/**
 * Sell filters as the native list's query (numeric references as record ids, statuses as keys)
 * and the matches applied here on each native record (filters the native list lacks).
 */
async function splitFilters(
  deps: FacadeDeps,
  resource: SellResource,
  query: Readonly<Record<string, string>>,
): Promise<{ native: Record<string, string>; here: ((record: Json) => boolean)[] }> {
  const native: Record<string, string> = {};
  const here: ((record: Json) => boolean)[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (PAGING_PARAMS.has(key)) continue;
    const nativeKeyed = resource.customFields && CUSTOM_FIELD_FILTER.test(key) ? key : undefined;
    const target = !resource.filters ? key : key in resource.filters ? resource.filters[key] : nativeKeyed;
    if (target === undefined) throw unknownFilter(resource, key);
    const wanted = await nativeValue(deps, resource, key, value, query);
    if (target === null) here.push(recordMatch(resource, key, wanted));
    else for (const param of typeof target === 'string' ? [target] : target) native[param] = wanted;
  }
  return { native, here };
}

/** A filter's value as the native record holds it: a Sell id as the record id, a lead status as its key. */
async function nativeValue(
  deps: FacadeDeps,
  resource: SellResource,
  key: string,
  value: string,
  query: Readonly<Record<string, string>>,
): Promise<string> {
  const ref =
    resource.refs[key] ?? (key === 'resource_id' && query.resource_type ? RESOURCE_TYPES[query.resource_type] : undefined);
  if (ref) {
    // An unknown id matches nothing: the native filter on an id no record has.
    const n = Number(value);
    return (Number.isSafeInteger(n) && n > 0 ? await deps.ids.idOf(ref, n) : undefined) ?? '00000000000000000000000000';
  }
  if (key === 'status' && resource.type === 'lead') return String(nativeLeadStatus(value));
  return value;
}

/** A filter the native list lacks, on one native record (after the resource's `present`). */
function recordMatch(resource: SellResource, key: string, wanted: string): (record: Json) => boolean {
  const shown = (record: Json) => (resource.present ? resource.present(record) : record);
  if (key === 'q')
    return (record) =>
      String(record.content ?? '')
        .toLowerCase()
        .includes(wanted.toLowerCase());
  // Tasks: floating (on no record) or related.
  if (key === 'type' && resource.type === 'task') return (record) => (record.resource_type ? 'related' : 'floating') === wanted;
  if (key === 'remind') return (record) => String(record.remind_at !== null && record.remind_at !== undefined) === wanted;
  return (record) => sameValue(shown(record)[key], wanted);
}

/** A Sell write's data as the native body: references as record ids, read-only fields dropped. */
async function toNative(
  deps: FacadeDeps,
  resource: SellResource,
  data: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (READ_ONLY_FIELDS.has(key) || resource.readOnly?.includes(key) || (resource.extra && key in resource.extra)) continue;
    const listRef = resource.listRefs?.[key];
    if (listRef && Array.isArray(value)) {
      out[key] = await Promise.all(value.map((n) => refId(deps, resource, listRef, n, key)));
      continue;
    }
    const ref =
      resource.refs[key] ??
      (key === 'resource_id' && typeof data.resource_type === 'string' ? RESOURCE_TYPES[data.resource_type] : undefined);
    if (ref && value !== null && value !== undefined) {
      out[key] = await refId(deps, resource, ref, value, key);
    } else if (key === 'status' && resource.type === 'lead') out[key] = nativeLeadStatus(value);
    else out[key] = value;
  }
  return out;
}

/** The record id a Sell reference names (a 422 naming the field when it names none). */
async function refId(deps: FacadeDeps, resource: SellResource, ref: SellType, value: unknown, key: string): Promise<string> {
  const id = typeof value === 'number' ? await deps.ids.idOf(ref, value) : undefined;
  if (!id) {
    throw new FacadeError(422, [
      { code: 'not_found', message: `${key} names no ${ref} (a Sell id)`, resource: resource.type, field: `/data/${key}` },
    ]);
  }
  return id;
}

/** Native records as Sell's data: Sell ids for the record and every reference, Sell's value shapes. */
export async function toSell(
  deps: FacadeDeps,
  resource: SellResource,
  records: readonly Json[],
): Promise<Record<string, unknown>[]> {
  const wanted = new Map<SellType, Set<string>>();
  const want = (type: SellType, id: unknown) => {
    if (typeof id !== 'string') return;
    if (!wanted.has(type)) wanted.set(type, new Set());
    wanted.get(type)!.add(id);
  };
  const shown = resource.present ? records.map(resource.present) : records;
  for (const record of shown) {
    if (resource.idType) want(resource.idType, record.id);
    if (resource.ownIdType) want(resource.ownIdType, record.id);
    for (const [key, type] of Object.entries(resource.refs)) want(type, record[key]);
    for (const [key, type] of Object.entries(resource.listRefs ?? {})) {
      if (Array.isArray(record[key])) for (const id of record[key]) want(type, id);
    }
    const polymorphic = 'resource_id' in record ? RESOURCE_TYPES[String(record.resource_type)] : undefined;
    if (polymorphic) want(polymorphic, record.resource_id);
  }
  const numbers = new Map<SellType, Map<string, number>>();
  await Promise.all([...wanted].map(async ([type, ids]) => numbers.set(type, await deps.ids.numbersOf(type, [...ids]))));
  const number = (type: SellType, id: unknown) => (typeof id === 'string' ? (numbers.get(type)?.get(id) ?? null) : null);
  // A record without its own number (a lead conversion made before conversions took their own)
  // shows its idType's, unless another record owns that number: then null, until the migration
  // 2026-12-conversion-sell-ids numbers it (one GetItem for each such record, none after it).
  const taken = new Set<unknown>();
  const { ownIdType, idType } = resource;
  if (ownIdType && idType) {
    await Promise.all(
      shown.map(async (record) => {
        const fallback = number(idType, record.id);
        if (number(ownIdType, record.id) !== null || fallback === null) return;
        const owner = await deps.ids.idOf(ownIdType, fallback);
        if (owner !== undefined && owner !== record.id) taken.add(record.id);
      }),
    );
  }
  return shown.map((record) => {
    const { version: _version, ...data } = record as Record<string, unknown>;
    const out: Record<string, unknown> = { ...data, ...resource.extra };
    if (resource.idType) out.id = number(resource.idType, record.id);
    if (ownIdType) out.id = number(ownIdType, record.id) ?? (taken.has(record.id) ? null : out.id);
    for (const [key, type] of Object.entries(resource.refs)) if (key in record) out[key] = number(type, record[key]);
    for (const [key, type] of Object.entries(resource.listRefs ?? {})) {
      if (Array.isArray(record[key])) out[key] = record[key].map((id) => number(type, id)).filter((n) => n !== null);
    }
    // resource_type names the kind of resource_id (notes, tasks); a tag's names what it tags.
    const polymorphic = 'resource_id' in record ? RESOURCE_TYPES[String(record.resource_type)] : undefined;
    if (polymorphic) out.resource_id = number(polymorphic, record.resource_id);
    if (resource.type === 'lead') out.status = sellLeadStatus(record.status);
    if (resource.type === 'deal') out.value = sellMoney(record.value);
    if (resource.type === 'user') out.role = record.role === 'admin' ? 'admin' : 'user';
    return out;
  });
}

async function account(deps: FacadeDeps): Promise<FacadeAnswer> {
  const answer = await deps.native.call('GET /account', {});
  if (answer.status !== 200) fromNative(answer, 'account');
  const { version: _version, time_format, ...rest } = answer.body as Record<string, unknown>;
  return {
    status: 200,
    body: {
      // One account per deployment: Sell's account id is 1.
      data: { id: 1, ...rest, time_format: time_format === '12h' ? '12H' : '24H' },
      meta: { type: 'account' },
    },
  };
}

const CUSTOM_FIELDS: SellResource = {
  type: 'custom_field',
  idType: 'custom_field',
  nativePath: '/custom_fields/{resource_type}',
  paged: false,
  ops: ['list'],
  refs: {},
  filters: { ids: null, name: null, type: null },
};

/** GET /v2/{lead|contact|deal}/custom_fields: the native definitions (whose path names the plural). */
async function customFields(deps: FacadeDeps, type: string, request: FacadeRequest): Promise<FacadeAnswer> {
  const answer = await deps.native.call('GET /custom_fields/{resource_type}', { params: { resource_type: `${type}s` } });
  if (answer.status !== 200) fromNative(answer, 'custom_field');
  const { page, perPage, sort } = pagingOf(request);
  return listWhole(deps, CUSTOM_FIELDS, `${type}/custom_fields`, request, page, perPage, sort, answer.body.items ?? []);
}

const ASSOCIATED: SellResource = {
  type: 'associated_contact',
  nativePath: '/deals/{id}/associated_contacts',
  paged: false,
  ops: ['list', 'create', 'delete'],
  refs: { contact_id: 'contact', deal_id: 'deal' },
  // Sell documents no filter on this list, only page and per_page.
  filters: {},
};

async function associatedContacts(
  deps: FacadeDeps,
  method: string,
  dealNumber: string | undefined,
  contactNumber: string | undefined,
  request: FacadeRequest,
): Promise<FacadeAnswer> {
  const deal = await nativeId(deps, SELL_RESOURCES.deals!, sellNumber(dealNumber ?? ''));
  const key = 'GET /deals/{id}/associated_contacts';
  if (method === 'GET' && contactNumber === undefined) {
    const { page, perPage, sort } = pagingOf(request);
    const answer = await deps.native.call(key, { params: { id: deal } });
    if (answer.status !== 200) fromNative(answer, 'associated_contact');
    // The native list is a deal's whole list: paged here, as Sell pages it (page, per_page).
    const name = `deals/${dealNumber}/associated_contacts`;
    return listWhole(deps, ASSOCIATED, name, request, page, perPage, sort, answer.body.items ?? []);
  }
  if (method === 'POST' && contactNumber === undefined) {
    const body = await toNative(deps, ASSOCIATED, dataOf(request.body));
    const answer = await deps.native.call('POST /deals/{id}/associated_contacts', { params: { id: deal }, body });
    if (answer.status >= 300) fromNative(answer, 'associated_contact');
    return single('associated_contact', (await toSell(deps, ASSOCIATED, [answer.body]))[0]!);
  }
  if (method === 'DELETE' && contactNumber !== undefined) {
    const contact = await nativeId(deps, SELL_RESOURCES.contacts!, sellNumber(contactNumber));
    const answer = await deps.native.call('DELETE /deals/{id}/associated_contacts/{contact_id}', {
      params: { id: deal, contact_id: contact },
    });
    if (answer.status !== 204) fromNative(answer, 'associated_contact');
    return { status: 204 };
  }
  throw new FacadeError(405, [{ code: 'method_not_allowed', message: `${method} is not offered on associated_contacts` }]);
}

/** The caller as the native API knows them: their user id and role. */
async function caller(deps: FacadeDeps): Promise<{ id: string; role: string }> {
  const answer = await deps.native.call('GET /users/self', {});
  if (answer.status !== 200) fromNative(answer, 'user');
  return { id: String(answer.body.id), role: String(answer.body.role) };
}

/** POST /v2/lead_conversions {"data": {"lead_id": n}}: the native conversion of that lead (its defaults). */
async function convertLead(deps: FacadeDeps, request: FacadeRequest): Promise<FacadeAnswer> {
  const data = dataOf(request.body);
  const resource = SELL_RESOURCES.lead_conversions!;
  const n = typeof data.lead_id === 'number' ? data.lead_id : NaN;
  const lead = Number.isSafeInteger(n) && n > 0 ? await deps.ids.idOf('lead', n) : undefined;
  if (!lead) {
    throw new FacadeError(422, [
      { code: 'not_found', message: 'lead_id names no lead (a Sell id)', resource: resource.type, field: '/data/lead_id' },
    ]);
  }
  const answer = await deps.native.call('POST /leads/{id}/convert', { params: { id: lead }, body: {} });
  if (answer.status !== 200) fromNative(answer, resource.type);
  const converted = (answer.body as { lead?: Json }).lead ?? {};
  return single(resource.type, (await toSell(deps, resource, [converted]))[0]!);
}

function tagsOf(deps: FacadeDeps): TagRegistry {
  if (!deps.tags) throw new FacadeError(501, [{ code: 'not_implemented', message: 'Tags are not served here', resource: 'tag' }]);
  return deps.tags;
}

const TAG_TYPES: readonly SellTag['resource_type'][] = ['lead', 'contact', 'deal'];

/** A tag name as the records take it (shared/kernel/tags.ts): trimmed, 1-100 characters, no comma. */
function tagName(value: unknown): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name === '' || name.length > 100 || name.includes(',')) {
    throw new FacadeError(422, [
      { code: 'invalid', message: 'name must be 1 to 100 characters without a comma', resource: 'tag', field: '/data/name' },
    ]);
  }
  return name;
}

const tagTaken = (name: string) =>
  new FacadeError(422, [
    { code: 'taken', message: `A tag named "${name}" exists for that resource type`, resource: 'tag', field: '/data/name' },
  ]);

/**
 * Sell's tags (GET by id, POST, PUT, DELETE) over the tag registry. Anyone creates; the creator
 * or an admin renames and deletes. Records keep their tags as names: renaming or deleting a tag
 * here changes no record.
 */
async function tagCall(
  deps: FacadeDeps,
  method: string,
  second: string | undefined,
  request: FacadeRequest,
): Promise<FacadeAnswer> {
  const resource = SELL_RESOURCES.tags!;
  const now = deps.now?.() ?? new Date().toISOString();
  const shown = async (tag: SellTag) => single('tag', (await toSell(deps, resource, [tag as unknown as Json]))[0]!);
  if (second === undefined) {
    if (method !== 'POST')
      throw new FacadeError(405, [{ code: 'method_not_allowed', message: `${method} is not offered on /v2/tags` }]);
    const data = dataOf(request.body);
    const name = tagName(data.name);
    const type = data.resource_type as SellTag['resource_type'];
    if (!TAG_TYPES.includes(type)) {
      throw new FacadeError(422, [
        {
          code: 'invalid',
          message: 'resource_type must be lead, contact or deal',
          resource: 'tag',
          field: '/data/resource_type',
        },
      ]);
    }
    const me = await caller(deps);
    const tag: SellTag = { id: newId(), name, resource_type: type, creator_id: me.id, created_at: now, updated_at: now };
    if (!(await tagsOf(deps).create(tag))) throw tagTaken(name);
    return shown(tag);
  }
  const id = await deps.ids.idOf('tag', sellNumber(second));
  const tag = id ? await tagsOf(deps).get(id) : undefined;
  if (!tag) throw notFound(`tag ${second}`);
  if (method === 'GET') return shown(tag);
  if (method !== 'PUT' && method !== 'DELETE') {
    throw new FacadeError(405, [{ code: 'method_not_allowed', message: `${method} is not offered on /v2/tags/{id}` }]);
  }
  const me = await caller(deps);
  if (me.id !== tag.creator_id && me.role !== 'admin') {
    throw new FacadeError(403, [{ code: 'forbidden', message: 'Only its creator or an admin changes a tag', resource: 'tag' }]);
  }
  if (method === 'DELETE') {
    await tagsOf(deps).remove(tag);
    return { status: 204 };
  }
  const data = dataOf(request.body);
  if (data.name === undefined) return shown(tag);
  const renamed: SellTag = { ...tag, name: tagName(data.name), updated_at: now };
  if (!(await tagsOf(deps).rename(tag, renamed))) throw tagTaken(renamed.name);
  return shown(renamed);
}

/** Tags written on a lead, contact or deal through /v2: registered at once, so /v2/tags lists them on the next read. */
async function registerTags(deps: FacadeDeps, resource: SellResource, tags: unknown): Promise<void> {
  const type = resource.type as SellTag['resource_type'];
  if (!TAG_TYPES.includes(type) || !Array.isArray(tags) || !deps.tags) return;
  const names = tags.filter((t): t is string => typeof t === 'string');
  if (names.length === 0) return;
  const registry = deps.tags;
  const now = deps.now?.() ?? new Date().toISOString();
  let me: string | undefined;
  await registerTagNames(registry, type, names, async () => (me ??= (await caller(deps)).id), now);
}

/**
 * Registers each of `names` (normalised: trimmed, one per name ignoring case) not yet claimed
 * for `type`, created by `creator()` (asked only when one is new) at `now` (ISO).
 * Idempotent: a name already registered, or lost to a concurrent registration, is left alone.
 * @returns the names this call registered, as written.
 */
export async function registerTagNames(
  registry: TagRegistry,
  type: SellTag['resource_type'],
  names: readonly string[],
  creator: () => Promise<string>,
  now: string,
): Promise<string[]> {
  const registered: string[] = [];
  for (const name of normalizeTags(names)) {
    // The claim alone (one read): the tag item is not needed to know the name is taken.
    if (await registry.claimed(type, name)) continue;
    const tag: SellTag = {
      id: newId(),
      name,
      resource_type: type,
      creator_id: await creator(),
      created_at: now,
      updated_at: now,
    };
    if (await registry.create(tag)) registered.push(name);
  }
  return registered;
}

/** What the tag registry's consumer reads of a lead, contact or deal event (a tolerant reader). */
export interface TaggedRecordEvent {
  readonly metadata: { readonly event_type: string; readonly actor_id: string; readonly occurred_at: string };
  readonly data: { readonly owner_id: string; readonly tags: readonly string[] };
  /** For updates: the changed fields before (`tags` only when the tags changed). */
  readonly previous?: { readonly tags?: readonly string[] };
}

/**
 * The consumer `tag-registry`: registers the tags of a lead, contact or deal written through any
 * API (native, web app, /v2, imports, automations), so /v2/tags lists every tag in use. The
 * creator is the event's actor; for "system" (automations, imports' follow-ups) the record's
 * owner, since Sell's creator_id must name a user. created_at is the event's occurred_at, so a
 * late delivery dates the tag by its first use. An update registers only the tags it added (a
 * tag deleted from the registry returns only when a record is given it again). Redelivered
 * events register nothing new (the name is claimed), so its consumer needs no delivery marker.
 * @returns the names registered.
 */
export async function registerRecordTags(registry: TagRegistry, event: TaggedRecordEvent): Promise<string[]> {
  const [resource, change] = event.metadata.event_type.split('.');
  const type = resource as SellTag['resource_type'];
  if (!TAG_TYPES.includes(type)) return [];
  let names = event.data.tags;
  if (change === 'updated') {
    const before = new Set((event.previous?.tags ?? event.data.tags).map(tagKey));
    names = names.filter((name) => !before.has(tagKey(name)));
  }
  const creator = event.metadata.actor_id === 'system' ? event.data.owner_id : event.metadata.actor_id;
  return registerTagNames(registry, type, names, () => Promise.resolve(creator), event.metadata.occurred_at);
}

/** Any refusal as Sell's envelope (a FacadeError's status and errors; anything else a 500). */
export function refusal(error: unknown, logref: string): { status: number; body: unknown } {
  if (error instanceof FacadeError) return { status: error.status, body: errorEnvelope(error.status, error.errors, logref) };
  return {
    status: 500,
    body: errorEnvelope(500, [{ code: 'internal_error', message: 'The request failed; try again (logref names it)' }], logref),
  };
}
