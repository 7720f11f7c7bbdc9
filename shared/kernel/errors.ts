import { checkErrorCode, type ErrorCodeFor, type FieldProblemCode, type ProblemStatus } from './error-codes.ts';

// Domain errors carry a stable name and a stable `code` (catalogued in error-codes.ts);
// shared/platform/http/problem.ts is the one place that maps them to HTTP statuses. Use cases
// throw these and never speak HTTP.

export interface FieldProblem {
  /** JSON path of the offending field, e.g. "body.custom_fields.budget" */
  field: string;
  message: string;
  /** Why the field was refused; the problem answer reads a missing one as `invalid`. */
  code?: FieldProblemCode;
}

/** The last argument of every error constructor: an explicit code, else the class default. */
export interface CodeOption<S extends ProblemStatus> {
  code?: ErrorCodeFor<S>;
}

export class DomainError extends Error {
  override readonly name: string = 'DomainError';
  /** Stable and machine-readable (lower snake case, optional `<family>.` prefix); clients branch on it. */
  readonly code: string;
  readonly detail?: Record<string, unknown>;
  /** Throws a TypeError when `code` is not lower snake case with an optional `<family>.` prefix. */
  constructor(message: string, code: string, detail?: Record<string, unknown>) {
    super(message);
    this.code = checkErrorCode(code);
    if (detail) this.detail = detail;
  }
}

/** Input that parses but breaks a rule (422 with one entry per field). Default code `validation_failed`. */
export class ValidationError extends DomainError {
  override readonly name = 'ValidationError';
  readonly problems: FieldProblem[];
  constructor(problems: FieldProblem[], options: CodeOption<422> = {}) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '), options.code ?? 'validation_failed');
    this.problems = problems;
  }
  /** One refused field; `fieldCode` says why (else `invalid`), `code` names the whole problem. */
  static field(
    field: string,
    message: string,
    options: CodeOption<422> & { fieldCode?: FieldProblemCode } = {},
  ): ValidationError {
    const { fieldCode, ...rest } = options;
    return new ValidationError([fieldCode ? { field, message, code: fieldCode } : { field, message }], rest);
  }
}

/**
 * The record does not exist, or the caller may not see it (no existence leak). Default code
 * `<resource>.not_found`, the resource in snake case (`custom field` -> `custom_field.not_found`).
 */
export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  constructor(resource: string, id: string, options: CodeOption<404> = {}) {
    super(`${resource} ${id} was not found`, options.code ?? notFoundCode(resource), { resource, id });
  }
}

/** `<resource>.not_found`, the resource in snake case. */
export function notFoundCode(resource: string): string {
  return `${resource.toLowerCase().replaceAll(/[^a-z0-9]+/g, '_')}.not_found`;
}

/** The caller is known but may not do this. Default code `forbidden`. */
export class ForbiddenError extends DomainError {
  override readonly name = 'ForbiddenError';
  constructor(message: string, options: CodeOption<403> = {}) {
    super(message, options.code ?? 'forbidden');
  }
}

/** The caller is not authenticated. Default code `unauthenticated`. */
export class UnauthenticatedError extends DomainError {
  override readonly name = 'UnauthenticatedError';
  constructor(message: string, options: CodeOption<401> = {}) {
    super(message, options.code ?? 'unauthenticated');
  }
}

/** The request conflicts with the state of the data (duplicate, in use, already done). Default code `conflict`. */
/** What the request names is no longer kept (a stream position past retention): 410. No default code. */
export class GoneError extends DomainError {
  override readonly name = 'GoneError';
  constructor(message: string, options: Required<CodeOption<410>>) {
    super(message, options.code);
  }
}

export class ConflictError extends DomainError {
  override readonly name = 'ConflictError';
  constructor(message: string, options: CodeOption<409> = {}) {
    super(message, options.code ?? 'conflict');
  }
}

/** If-Match named a version that is no longer current. Default code `version_mismatch`. */
export class VersionMismatchError extends DomainError {
  override readonly name = 'VersionMismatchError';
  readonly current: unknown;
  constructor(resource: string, id: string, current: unknown, options: CodeOption<412> = {}) {
    super(`${resource} ${id} was changed by someone else; reload it and try again`, options.code ?? 'version_mismatch', {
      resource,
      id,
    });
    this.current = current;
  }
}
