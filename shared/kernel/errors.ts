// Domain errors carry a stable name; shared/platform/http/problem.ts is the one place that maps them
// to HTTP statuses. Use cases throw these and never speak HTTP.

export interface FieldProblem {
  /** JSON path of the offending field, e.g. "body.custom_fields.budget" */
  field: string;
  message: string;
}

export class DomainError extends Error {
  override readonly name: string = 'DomainError';
  readonly detail?: Record<string, unknown>;
  constructor(message: string, detail?: Record<string, unknown>) {
    super(message);
    if (detail) this.detail = detail;
  }
}

/** Input that parses but breaks a rule (422 with one entry per field). */
export class ValidationError extends DomainError {
  override readonly name = 'ValidationError';
  readonly problems: FieldProblem[];
  constructor(problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.problems = problems;
  }
  static field(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

/** The record does not exist, or the caller may not see it (no existence leak). */
export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  constructor(resource: string, id: string) {
    super(`${resource} ${id} was not found`, { resource, id });
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends DomainError {
  override readonly name = 'ForbiddenError';
}

/** The caller is not authenticated. */
export class UnauthenticatedError extends DomainError {
  override readonly name = 'UnauthenticatedError';
}

/** The request conflicts with the state of the data (duplicate, in use, already done). */
export class ConflictError extends DomainError {
  override readonly name = 'ConflictError';
}

/** If-Match named a version that is no longer current. */
export class VersionMismatchError extends DomainError {
  override readonly name = 'VersionMismatchError';
  readonly current: unknown;
  constructor(resource: string, id: string, current: unknown) {
    super(`${resource} ${id} was changed by someone else; reload it and try again`, { resource, id });
    this.current = current;
  }
}
