import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
  VersionMismatchError,
  type FieldProblem,
} from '#shared/kernel/errors.ts';

// RFC 9457 problem details: the one place where errors become HTTP answers.

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldProblem[];
  current?: unknown;
  instance?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A request that cannot be read at all (bad JSON): 400. */
export class MalformedRequestError extends DomainError {
  override readonly name = 'MalformedRequestError';
}

/** No route for the method and path: 404. */
export class RouteNotFoundError extends DomainError {
  override readonly name = 'RouteNotFoundError';
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
};

function problem(status: number, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: `https://httpstatuses.io/${status}`, title: TITLES[status] ?? 'Error', status, detail, ...extra };
}

/** Known errors map to 4xx; anything else is a 500 whose detail reveals nothing. */
export function toProblem(error: unknown): Problem {
  if (error instanceof ValidationError) return problem(422, 'The request has invalid fields', { errors: error.problems });
  if (error instanceof MalformedRequestError) return problem(400, error.message);
  if (error instanceof RouteNotFoundError) return problem(404, error.message);
  if (error instanceof NotFoundError) return problem(404, error.message);
  if (error instanceof UnauthenticatedError) return problem(401, error.message);
  if (error instanceof ForbiddenError) return problem(403, error.message);
  if (error instanceof VersionMismatchError) return problem(412, error.message, { current: error.current });
  if (error instanceof ConflictError) return problem(409, error.message);
  const name = (error as { name?: unknown } | null)?.name;
  // Powertools idempotency: same key with another body, or the first request still running.
  if (name === 'IdempotencyValidationError') {
    return problem(422, 'This Idempotency-Key was already used with a different request body', {
      errors: [{ field: 'headers.idempotency-key', message: 'already used with a different request body' }],
    });
  }
  if (name === 'IdempotencyAlreadyInProgressError') {
    return problem(409, 'A request with this Idempotency-Key is still being processed; retry shortly');
  }
  return problem(500, 'Something went wrong on our side; the error was logged');
}
