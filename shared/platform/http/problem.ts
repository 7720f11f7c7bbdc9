import {
  ConflictError,
  DomainError,
  GoneError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
  VersionMismatchError,
  type CodeOption,
  type FieldProblem,
} from '#shared/kernel/errors.ts';
import { defineErrorCodes, type ErrorCode, type FieldProblemCode, type ProblemStatus } from '#shared/kernel/error-codes.ts';

// RFC 9457 problem details: the one place where errors become HTTP answers.

/** One refused field of a 422; `code` says why (see FIELD_PROBLEM_CODES). */
export interface ProblemField extends FieldProblem {
  code: FieldProblemCode;
}

export interface Problem {
  /** problemType(code): one URI per code. */
  type: string;
  /** Stable and machine-readable; catalogued in docs/error-codes.md. Clients branch on it, never on `detail`. */
  code: string;
  title: string;
  status: number;
  detail: string;
  errors?: ProblemField[];
  current?: unknown;
  instance?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The `type` of a problem with this code: a tag URI (RFC 4151), e.g.
 * `tag:open-sell-crm,2026:problem:lead.already_converted`. RFC 9457 §3.1.1 names tag URIs as
 * fitting when a problem type is an identifier not meant to be dereferenced; the catalogue
 * lives in docs/error-codes.md and in the `code` enum of the OpenAPI document.
 */
export function problemType(code: string): string {
  return `tag:open-sell-crm,2026:problem:${code}`;
}

/** The codes the HTTP plumbing answers with itself. */
export const platformErrorCodes = /* @__PURE__ */ defineErrorCodes('platform', {
  malformed_request: {
    status: 400,
    title: 'Malformed request',
    description: 'The request cannot be read at all: the body is not JSON, or its Content-Type is not JSON.',
  },
  route_not_found: {
    status: 404,
    title: 'No such route',
    description: 'No operation has this method and path.',
  },
  payload_too_large: {
    status: 413,
    title: 'Payload too large',
    description: 'The body exceeds the size the API accepts (answered by the local server; API Gateway answers it in AWS).',
  },
  'idempotency.key_reused': {
    status: 422,
    title: 'Idempotency-Key reused',
    description: 'This Idempotency-Key was already used with a different request body; use a new key for a new request.',
  },
  'idempotency.in_progress': {
    status: 409,
    title: 'Request in progress',
    description: 'A request with this Idempotency-Key is still being processed; retry shortly for its answer.',
  },
  internal_error: {
    status: 500,
    title: 'Internal error',
    description: 'Something went wrong on our side; the error was logged and the answer reveals nothing more.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    platform: typeof platformErrorCodes;
  }
}

/** A request that cannot be read at all (bad JSON): 400. Default code `malformed_request`. */
export class MalformedRequestError extends DomainError {
  override readonly name = 'MalformedRequestError';
  constructor(message: string, options: CodeOption<400> = {}) {
    super(message, options.code ?? 'malformed_request');
  }
}

/** No route for the method and path: 404. Default code `route_not_found`. */
export class RouteNotFoundError extends DomainError {
  override readonly name = 'RouteNotFoundError';
  constructor(message: string, options: CodeOption<404> = {}) {
    super(message, options.code ?? 'route_not_found');
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
};

/** A problem body for `status` and a catalogued `code`; the title is the status phrase. */
export function problem(status: ProblemStatus, code: ErrorCode, detail: string, extra: Partial<Problem> = {}): Problem {
  return answer(status, code, detail, extra);
}

function answer(status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: problemType(code), code, title: TITLES[status] ?? 'Error', status, detail, ...extra };
}

const fieldProblem = (p: FieldProblem): ProblemField => ({ field: p.field, message: p.message, code: p.code ?? 'invalid' });

/** Known errors map to 4xx; anything else is a 500 whose detail reveals nothing. */
export function toProblem(error: unknown): Problem {
  if (error instanceof ValidationError) {
    return answer(422, error.code, 'The request has invalid fields', { errors: error.problems.map(fieldProblem) });
  }
  if (error instanceof MalformedRequestError) return answer(400, error.code, error.message);
  if (error instanceof RouteNotFoundError) return answer(404, error.code, error.message);
  if (error instanceof NotFoundError) return answer(404, error.code, error.message);
  if (error instanceof UnauthenticatedError) return answer(401, error.code, error.message);
  if (error instanceof ForbiddenError) return answer(403, error.code, error.message);
  if (error instanceof VersionMismatchError) return answer(412, error.code, error.message, { current: error.current });
  if (error instanceof ConflictError) return answer(409, error.code, error.message);
  if (error instanceof GoneError) return answer(410, error.code, error.message);
  const name = (error as { name?: unknown } | null)?.name;
  // Powertools idempotency: same key with another body, or the first request still running.
  if (name === 'IdempotencyValidationError') {
    return problem(422, 'idempotency.key_reused', 'This Idempotency-Key was already used with a different request body', {
      errors: [{ field: 'headers.idempotency-key', message: 'already used with a different request body', code: 'invalid' }],
    });
  }
  if (name === 'IdempotencyAlreadyInProgressError') {
    return problem(409, 'idempotency.in_progress', 'A request with this Idempotency-Key is still being processed; retry shortly');
  }
  return problem(500, 'internal_error', 'Something went wrong on our side; the error was logged');
}
