import type * as z from 'zod/mini';
import type { AnyRoute } from './contract.ts';
import type { Problem } from './problem.ts';

// A typed client built from the route contracts: the e2e tests use it today, the web app
// tomorrow. Only `fetch`, `Headers`, `URLSearchParams` and JSON: it runs in Node and browsers.
// It does not validate what it sends (tests send invalid values on purpose; the server is the
// judge) nor re-parse what it gets (the server checks its answers against the same schemas).

/** The input type of one request part, or `undefined` when the route has no schema for it. */
type PartInput<S> = S extends z.ZodMiniType ? (unknown extends z.input<S> ? undefined : z.input<S>) : undefined;

/** Required when its type has a required key, optional when every key is, absent when there is no schema. */
type Part<K extends string, T> = [T] extends [undefined]
  ? { readonly [P in K]?: undefined }
  : Partial<T> extends T
    ? { readonly [P in K]?: T }
    : { readonly [P in K]: T };

/**
 * What a call to `route` takes, typed by its contract (`z.input` of each schema):
 * - `params`: the `{name}` placeholders of `route.path`, encoded with encodeURIComponent;
 * - `query`: the query string; see {@link routeUrl} for how values are written;
 * - `body`: sent as JSON;
 * - `headers`: extra headers (If-Match, Idempotency-Key...), which win over the client's own.
 */
export type RouteInput<R extends AnyRoute> = Part<'params', PartInput<NonNullable<R['params']>>> &
  Part<'query', PartInput<NonNullable<R['query']>>> &
  Part<'body', PartInput<NonNullable<R['body']>>> & { readonly headers?: Readonly<Record<string, string>> };

/** The parsed JSON of a 2xx answer, typed `z.output` of the response schema; `undefined` for routes without one (the 204s). */
export type ResponseBody<R extends AnyRoute> = PartOutput<NonNullable<R['response']>>;
type PartOutput<S> = S extends z.ZodMiniType ? (unknown extends z.output<S> ? undefined : z.output<S>) : undefined;

/** A 2xx answer. `status` is the actual one (an idempotent replay may differ from the route's). */
export interface RouteSuccess<R extends AnyRoute> {
  readonly ok: true;
  readonly status: number;
  readonly headers: Headers;
  readonly body: ResponseBody<R>;
}

/**
 * Any other answer. `body` is the RFC 9457 problem the API sends; an error body that is not a
 * problem (a proxy's HTML page, API Gateway's `{"message": ...}`) is wrapped into one, keeping
 * its JSON fields, with the text or `message` as `detail`.
 */
export interface RouteFailure {
  readonly ok: false;
  readonly status: number;
  readonly headers: Headers;
  readonly body: Problem;
}

/** What `callRoute` resolves to: narrow on `ok` (or on `status`) before reading `body`. */
export type RouteAnswer<R extends AnyRoute> = RouteSuccess<R> | RouteFailure;

/** The arguments after the route: the input may be left out when none of its parts is required. */
export type RouteArgs<R extends AnyRoute> =
  Partial<RouteInput<R>> extends RouteInput<R> ? [input?: RouteInput<R>] : [input: RouteInput<R>];

/**
 * Calls one route. Resolves with the answer for every HTTP status; rejects only when no usable
 * answer came: the network failed (fetch's TypeError), a `{param}` of the path was not given
 * (Error), or a 2xx answer was not JSON ({@link UnexpectedAnswerError}).
 */
export type CallRoute = <R extends AnyRoute>(route: R, ...args: RouteArgs<R>) => Promise<RouteAnswer<R>>;

export interface RouteClientOptions {
  /** The API's root, e.g. "https://api.example.com" or "http://127.0.0.1:3000"; a trailing "/" is ignored. */
  readonly baseUrl: string;
  /** The bearer token, or a function asked before each call (for tokens that get refreshed). */
  readonly token?: string | (() => string | undefined | Promise<string | undefined>);
  /** The fetch to use; the global one by default. */
  readonly fetch?: typeof fetch;
}

/** A 2xx answer whose body is not the JSON its contract promises. */
export class UnexpectedAnswerError extends Error {
  override readonly name = 'UnexpectedAnswerError';
  /** The HTTP status of the answer. */
  readonly status: number;
  /** The answer's body as text. */
  readonly text: string;
  constructor(message: string, status: number, text: string) {
    super(message);
    this.status = status;
    this.text = text;
  }
}

const JSON_TYPE = /^application\/([a-z.+-]*\+)?json\b/i;

/** A `callRoute` bound to one API and one caller. */
export function routeClient(options: RouteClientOptions): CallRoute {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  return async function callRoute<R extends AnyRoute>(route: R, ...args: RouteArgs<R>): Promise<RouteAnswer<R>> {
    const input: RouteInput<AnyRoute> = args[0] ?? {};
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    const hasBody = input.body !== undefined && route.method !== 'GET';
    if (hasBody) headers['content-type'] = 'application/json';
    for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;
    const response = await doFetch(`${base}${routeUrl(route, input.params, input.query)}`, {
      method: route.method,
      headers,
      ...(hasBody ? { body: JSON.stringify(input.body) } : {}),
    });
    return readAnswer<R>(response);
  };
}

/**
 * The path and query string of a call: `route.path` with each `{name}` replaced by
 * encodeURIComponent(String(params[name])), then `?` and the query, if any. Query values:
 * strings as they are; numbers, booleans and bigints with String(); Dates as ISO strings; an
 * array as the key repeated (API Gateway, and so the handler, joins them with ","); a plain
 * object one level down as `key[sub]=value` (so `{ custom_fields: { Tier: 'gold' } }` is the
 * filter `custom_fields[Tier]=gold`); undefined and null are left out.
 * @throws Error when a placeholder of the path has no value in `params`.
 */
export function routeUrl(route: Pick<AnyRoute, 'path'>, params?: unknown, query?: unknown): string {
  const values = (params ?? {}) as Record<string, unknown>;
  const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined || value === null || value === '') {
      throw new Error(`${route.path}: no value for the path parameter "${name}"`);
    }
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (isPlainObject(value)) {
      for (const [sub, inner] of Object.entries(value)) appendQuery(search, `${key}[${sub}]`, inner);
    } else appendQuery(search, key, value);
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

function appendQuery(search: URLSearchParams, key: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) appendQuery(search, key, item);
    return;
  }
  search.append(key, value instanceof Date ? value.toISOString() : String(value));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

async function readAnswer<R extends AnyRoute>(response: Response): Promise<RouteAnswer<R>> {
  const { status, headers } = response;
  const text = await response.text();
  const isJson = JSON_TYPE.test(headers.get('content-type') ?? '');
  if (response.ok) {
    if (text === '') return { ok: true, status, headers, body: undefined as ResponseBody<R> };
    if (!isJson) throw new UnexpectedAnswerError(`A ${status} answer was not JSON`, status, text);
    try {
      return { ok: true, status, headers, body: JSON.parse(text) as ResponseBody<R> };
    } catch {
      throw new UnexpectedAnswerError(`A ${status} answer was not valid JSON`, status, text);
    }
  }
  return { ok: false, status, headers, body: problemOf(status, response.statusText, text, isJson) };
}

function problemOf(status: number, statusText: string, text: string, isJson: boolean): Problem {
  let json: unknown;
  if (isJson) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  const fields = isPlainObject(json) ? json : {};
  if (typeof fields.type === 'string' && typeof fields.title === 'string' && typeof fields.status === 'number') {
    return fields as unknown as Problem;
  }
  const message = typeof fields.message === 'string' ? fields.message : undefined;
  const code =
    typeof fields.code === 'string'
      ? fields.code
      : (STATUS_CODES[status] ?? (status >= 500 ? 'internal_error' : 'malformed_request'));
  return {
    ...fields,
    type: 'about:blank',
    code,
    title: statusText || 'Error',
    status,
    detail: typeof fields.detail === 'string' ? fields.detail : (message ?? text),
  };
}

/**
 * The generic catalogued code of an error answer that is not a problem (API Gateway's own
 * `{"message":"Unauthorized"}`, a proxy's HTML page), so that clients can branch on `code` alike.
 */
const STATUS_CODES: Record<number, string> = {
  400: 'malformed_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'route_not_found',
  409: 'conflict',
  412: 'version_mismatch',
  413: 'payload_too_large',
  422: 'validation_failed',
};
