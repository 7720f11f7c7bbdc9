import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import type * as z from 'zod/mini';
// Loads zod's English messages before any request is parsed.
import '#shared/kernel/schema.ts';
import { MalformedRequestError } from './problem.ts';
import { ValidationError, type FieldProblem } from '#shared/kernel/errors.ts';
import type { AnyRoute } from './contract.ts';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;

/** The JSON body, or undefined when there is none; bad JSON is a 400, never a 500. */
export function readJsonBody(event: Pick<HttpEvent, 'body' | 'isBase64Encoded' | 'headers'>): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const type = header(event.headers, 'content-type');
  if (type && !/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    throw new MalformedRequestError(`Content-Type must be application/json, got "${type}"`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedRequestError(`The body is not valid JSON: ${(error as Error).message}`);
  }
}

export function header(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** Parses one part of the request with its schema; problems are named "<part>.<path>". */
export function parsePart<S extends z.ZodMiniType>(part: 'params' | 'query' | 'body', schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((issue) => toFieldProblem(part, issue, value)));
}

function toFieldProblem(part: string, issue: z.core.$ZodIssue, value: unknown): FieldProblem {
  const path = issue.path.map(String);
  // An unknown key reports its names in `keys`: name the field itself, not its parent.
  if (issue.code === 'unrecognized_keys') {
    return { field: [part, ...path, issue.keys.join(',')].join('.'), message: 'is not a known field', code: 'unknown_field' };
  }
  const field = [part, ...path].join('.');
  // zod issues do not carry the input: a wrong type where the value is absent is a missing field.
  if (issue.code === 'invalid_type' && valueAt(value, issue.path) === undefined) {
    return { field, message: issue.message, code: 'required' };
  }
  return { field, message: issue.message };
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** If-Match: a record version as a number, or undefined; quotes and W/ are tolerated. */
export function readIfMatch(route: AnyRoute, event: Pick<HttpEvent, 'headers'>): number | undefined {
  if (!route.conditional) return undefined;
  const raw = header(event.headers, 'if-match');
  if (raw === undefined) return undefined;
  const version = Number(raw.replace(/^W\//, '').replaceAll('"', '').trim());
  if (!Number.isInteger(version) || version < 1) {
    throw ValidationError.field('headers.if-match', 'must be the record version, e.g. "3"');
  }
  return version;
}
