import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allRoutes, errorCatalogues, errorCodes } from '#shared/families.ts';
import { FIELD_PROBLEM_CODES, type ErrorCatalogue } from '#shared/kernel/error-codes.ts';
import {
  ConflictError,
  ForbiddenError,
  notFoundCode,
  UnauthenticatedError,
  ValidationError,
  VersionMismatchError,
} from '#shared/kernel/errors.ts';
import { RELATED_RECORD_TYPES } from '#shared/kernel/related-records.ts';
import { NAMED_LIST_LABELS } from '#shared/pipelines/reasons.ts';
import { openApiDocument } from '#shared/platform/http/openapi.ts';
import { MalformedRequestError, RouteNotFoundError, toProblem } from '#shared/platform/http/problem.ts';
import { ERROR_CODES_DOC_PATH, renderErrorCodesDoc } from '#infra/docs/write-error-codes.ts';

// The registry in shared/families.ts against what the code throws, the OpenAPI document and
// docs/error-codes.md. Thrown codes are checked by the type checker (ErrorCodeFor); what it
// cannot see is checked here: that every family's errors.ts is registered, and the codes built
// at run time (class defaults, `<resource>.not_found`).

const SHARED = new URL('../../shared/', import.meta.url);
const statusOf = new Map(errorCodes.map((c) => [c.code, c.status]));

function isCatalogue(value: unknown): value is ErrorCatalogue {
  return typeof value === 'object' && value !== null && 'family' in value && 'codes' in value;
}

function sharedSources(dir = SHARED): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const url = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    if (entry.isDirectory()) return sharedSources(url);
    return entry.name.endsWith('.ts') ? [{ path: url.pathname, text: readFileSync(url, 'utf8') }] : [];
  });
}

describe('the error code registry', () => {
  it('holds the catalogue of every shared/<family>/errors.ts', async () => {
    const families = readdirSync(SHARED, { withFileTypes: true }).filter(
      (d) => d.isDirectory() && !['kernel', 'platform'].includes(d.name) && existsSync(new URL(`${d.name}/errors.ts`, SHARED)),
    );
    expect(families.length).toBeGreaterThan(5);
    for (const family of families) {
      const module: Record<string, unknown> = await import(new URL(`${family.name}/errors.ts`, SHARED).href);
      const catalogues = Object.values(module).filter(isCatalogue);
      expect(catalogues, `shared/${family.name}/errors.ts exports a catalogue`).not.toHaveLength(0);
      for (const catalogue of catalogues) {
        expect(errorCatalogues, `shared/families.ts lists ${catalogue.family}`).toContain(catalogue);
        expect(catalogue.family).toBe(family.name);
      }
    }
  });

  it('holds each class default with the status the problem mapper gives it', () => {
    const defaults = [
      ValidationError.field('body.x', 'bad'),
      new ForbiddenError('no'),
      new UnauthenticatedError('no'),
      new ConflictError('no'),
      new VersionMismatchError('deal', 'D1', null),
      new MalformedRequestError('bad JSON'),
      new RouteNotFoundError('no route'),
    ];
    for (const error of defaults) expect(statusOf.get(error.code), error.code).toBe(toProblem(error).status);
    for (const name of ['IdempotencyValidationError', 'IdempotencyAlreadyInProgressError', 'Unknown']) {
      const problem = toProblem(Object.assign(new Error(name), { name }));
      expect(statusOf.get(problem.code), problem.code).toBe(problem.status);
    }
  });

  it('holds `<resource>.not_found` for every resource a NotFoundError names', () => {
    const literal = /(?:new NotFoundError|visibleOwned)\(\s*'([^']+)'/g;
    const resources = new Set<string>([...Object.values(NAMED_LIST_LABELS), ...RELATED_RECORD_TYPES]);
    for (const { text } of sharedSources()) for (const match of text.matchAll(literal)) resources.add(match[1]!);
    expect(resources).toContain('custom field');
    for (const resource of resources) expect(statusOf.get(notFoundCode(resource)), notFoundCode(resource)).toBe(404);
  });
});

describe('the OpenAPI document', () => {
  const problem = (openApiDocument(allRoutes, { title: 'CRM API', version: '1' }, errorCodes) as any).components.schemas.Problem;

  it('enumerates every catalogued code in Problem.code, and the field codes in errors[].code', () => {
    expect(problem.required).toEqual(['type', 'code', 'title', 'status', 'detail']);
    expect(problem.properties.code.enum).toEqual(errorCodes.map((c) => c.code));
    expect(problem.properties.type).toMatchObject({ type: 'string', format: 'uri' });
    expect(problem.properties.errors.items.properties.code.enum).toEqual(Object.keys(FIELD_PROBLEM_CODES));
  });
});

describe('docs/error-codes.md', () => {
  it('is the one generated from the registry', async () => {
    const committed = readFileSync(ERROR_CODES_DOC_PATH, 'utf8');
    expect(committed, 'run `npm run docs`').toBe(await renderErrorCodesDoc());
    for (const { code } of errorCodes) expect(committed).toContain(`\`${code}\``);
  });
});
