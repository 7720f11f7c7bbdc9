// Stable, machine-readable error codes: what clients branch on instead of message text.
// Each family declares the codes it throws with defineErrorCodes() in its own errors.ts and
// adds its catalogue to ErrorCatalogues below (a module augmentation), so the type checker
// refuses a code no catalogue lists and a code thrown with the wrong status. The runtime list
// (docs, OpenAPI) is concatenated in shared/families.ts; test/infra/error-codes.test.ts keeps
// the two in step. A new code: add it to the family's errors.ts, throw it, `npm run docs`.

/** The HTTP statuses a problem answer may carry. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 410 | 412 | 413 | 422 | 500;

/** What one code means: its HTTP status, a short human title and a sentence for the docs. */
export interface ErrorCodeSpec {
  readonly status: ProblemStatus;
  readonly title: string;
  readonly description: string;
}

/** A family's codes, keyed by the full code (e.g. `lead.already_converted`). */
export interface ErrorCatalogue<C extends Readonly<Record<string, ErrorCodeSpec>> = Readonly<Record<string, ErrorCodeSpec>>> {
  /** The owning family (`kernel`, `platform` or a shared/<family> folder name), for the docs. */
  readonly family: string;
  readonly codes: C;
}

/** One catalogued code, flattened for the docs and the OpenAPI document. */
export interface ErrorCodeEntry extends ErrorCodeSpec {
  readonly code: string;
  readonly family: string;
}

/**
 * Every catalogue the type checker knows, by family. Families add theirs from their errors.ts:
 * `declare module '#shared/kernel/error-codes.ts' { interface ErrorCatalogues { leads: typeof leadErrorCodes } }`.
 */
export interface ErrorCatalogues {
  kernel: typeof kernelErrorCodes;
}

type CodesOf<F extends keyof ErrorCatalogues> = ErrorCatalogues[F] extends ErrorCatalogue<infer C> ? C : never;

/** The catalogued codes whose status is `S`: what a constructor of an error with that status accepts. */
export type ErrorCodeFor<S extends ProblemStatus> = {
  [F in keyof ErrorCatalogues]: {
    [K in keyof CodesOf<F>]: CodesOf<F>[K] extends { status: S } ? K : never;
  }[keyof CodesOf<F>];
}[keyof ErrorCatalogues] &
  string;

/** Every catalogued code. */
export type ErrorCode = ErrorCodeFor<ProblemStatus>;

/** Lower snake case with an optional `<family>.` prefix: `conflict`, `lead.already_converted`. */
export const ERROR_CODE_FORMAT = /^(?:[a-z][a-z0-9]*(?:_[a-z0-9]+)*\.)?[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/** Throws a TypeError unless `code` has the format of ERROR_CODE_FORMAT; returns it. */
export function checkErrorCode(code: string): string {
  if (!ERROR_CODE_FORMAT.test(code)) {
    throw new TypeError(`"${code}" is not an error code: lower snake case with an optional "<family>." prefix`);
  }
  return code;
}

/**
 * Declares a family's codes; throws a TypeError at load time on a badly formed code. Calls are
 * marked pure so bundles drop the catalogues they do not read (only docs and OpenAPI do).
 */
export function defineErrorCodes<const C extends Readonly<Record<string, ErrorCodeSpec>>>(
  family: string,
  codes: C,
): ErrorCatalogue<C> {
  for (const code of Object.keys(codes)) checkErrorCode(code);
  return { family, codes };
}

/** The entries of several catalogues, in order; throws when a code is declared twice. */
export function listErrorCodes(catalogues: readonly ErrorCatalogue[]): ErrorCodeEntry[] {
  const seen = new Map<string, string>();
  const entries: ErrorCodeEntry[] = [];
  for (const { family, codes } of catalogues) {
    for (const [code, spec] of Object.entries(codes)) {
      const other = seen.get(code);
      if (other !== undefined) throw new Error(`error code ${code} is declared by both ${other} and ${family}`);
      seen.set(code, family);
      entries.push({ code, family, status: spec.status, title: spec.title, description: spec.description });
    }
  }
  return entries;
}

/**
 * Why one field of a request was refused, in `errors[].code` of a 422: `required` (missing),
 * `invalid` (present but breaks a rule), `unknown_field` (not a field of this request),
 * `unknown_reference` (names an id that does not exist or is not usable here).
 */
export const FIELD_PROBLEM_CODES = {
  required: 'The field is missing.',
  invalid: 'The field is present but breaks a rule; the message says which.',
  unknown_field: 'The request names a field this operation does not know (often a typo).',
  unknown_reference: 'The field names an id that does not exist, or a record that cannot be used here.',
} as const;

/** See FIELD_PROBLEM_CODES. */
export type FieldProblemCode = keyof typeof FIELD_PROBLEM_CODES;

/** The codes every family may throw: the defaults of the kernel's error classes and cross-family rules. */
export const kernelErrorCodes = /* @__PURE__ */ defineErrorCodes('kernel', {
  validation_failed: {
    status: 422,
    title: 'Invalid fields',
    description: 'The request parses but some fields break a rule; `errors[]` holds one entry per field.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    description: 'Your role may not do this.',
  },
  unauthenticated: {
    status: 401,
    title: 'Not authenticated',
    description: 'A valid bearer token is required.',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    description: 'The request conflicts with the state of the data.',
  },
  concurrent_change: {
    status: 409,
    title: 'Changed meanwhile',
    description: 'Something the request depends on changed while it ran; reload and try again.',
  },
  version_mismatch: {
    status: 412,
    title: 'Version mismatch',
    description: 'If-Match names a version that is no longer current; `current` holds the record as it is now.',
  },
  owner_not_assignable: {
    status: 403,
    title: 'Owner not assignable',
    description:
      'You may not make that user the owner: users assign to themselves, managers to themselves and their direct reports.',
  },
  too_many_to_sort: {
    status: 422,
    title: 'Too many to sort',
    description: 'More records match than can be sorted by that field; narrow the filters.',
  },
  invalid_cursor: {
    status: 422,
    title: 'Invalid cursor',
    description: 'The cursor was not returned by this list with these filters.',
  },
});
