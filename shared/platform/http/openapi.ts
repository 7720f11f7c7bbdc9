import * as z from 'zod/mini';
import type { AnyRoute } from './contract.ts';
import { FIELD_PROBLEM_CODES, type ErrorCodeEntry } from '#shared/kernel/error-codes.ts';
import { problemType } from './problem.ts';

// The OpenAPI 3.1 document, generated from the route contracts (zod → JSON Schema 2020-12,
// which OpenAPI 3.1 uses as is).

/** The Problem component: RFC 9457 fields plus `code`, one of the catalogued codes. */
function problemSchema(codes: readonly ErrorCodeEntry[]) {
  return {
    type: 'object',
    required: ['type', 'code', 'title', 'status', 'detail'],
    properties: {
      type: { type: 'string', format: 'uri', description: `${problemType('<code>')}: one URI per code` },
      code: {
        type: 'string',
        enum: codes.map((c) => c.code),
        description: 'Stable and machine-readable: branch on it, never on `detail` (docs/error-codes.md)',
      },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          required: ['field', 'message', 'code'],
          properties: {
            field: { type: 'string' },
            message: { type: 'string' },
            code: { type: 'string', enum: Object.keys(FIELD_PROBLEM_CODES) },
          },
        },
      },
      current: {},
    },
  };
}

function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const problemRef = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** The document for `routes`; `errorCodes` (the registry in shared/families.ts) is the enum of Problem.code. */
export function openApiDocument(
  routes: readonly AnyRoute[],
  info: { title: string; version: string },
  errorCodes: readonly ErrorCodeEntry[],
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const [location, schema] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (!schema) continue;
      const json = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, property] of Object.entries(json.properties ?? {})) {
        parameters.push({
          name,
          in: location,
          required: location === 'path' || (json.required ?? []).includes(name),
          schema: property,
        });
      }
    }
    if (r.idempotent) {
      parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } });
    }
    if (r.conditional) {
      parameters.push({
        name: 'If-Match',
        in: 'header',
        required: false,
        schema: { type: 'string' },
        description: 'The record version',
      });
    }
    const responses: Record<string, unknown> = {
      [String(r.status)]: r.response
        ? {
            description: 'Success',
            content: { [r.mediaType ?? 'application/json']: { schema: jsonSchema(r.response, 'output') } },
          }
        : { description: 'Success, no content' },
      '400': problemRef('Malformed request'),
      '422': problemRef('Invalid fields, one entry per field'),
    };
    if (r.access !== 'public') {
      responses['401'] = problemRef('Missing or invalid token');
      responses['403'] = problemRef('Your role may not do this');
    }
    if (r.params) responses['404'] = problemRef('Not found, or not visible to you');
    // Every write may meet the data in another state than the caller assumed: a duplicate, a
    // record in use, a change that landed meanwhile, an Idempotency-Key still being served.
    if (r.method !== 'GET') responses['409'] = problemRef('Conflicts with the state of the data; `code` says how');
    if (r.conditional) responses['412'] = problemRef('If-Match names an old version; `current` holds the record');
    for (const [status, meaning] of Object.entries(r.problems ?? {})) responses[status] = problemRef(meaning);
    const operation: Record<string, unknown> = {
      operationId: r.id,
      summary: r.summary,
      tags: r.tags ?? [r.family],
      parameters,
      responses,
      security: r.access === 'public' ? [] : [{ bearer: [] }],
      'x-crm-roles': r.access === 'public' ? 'public' : [...r.access],
    };
    if (r.body) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Problem: problemSchema(errorCodes) },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
