import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
  VersionMismatchError,
} from '#shared/kernel/errors.ts';
import { MalformedRequestError, problemType, RouteNotFoundError, toProblem } from '#shared/platform/http/problem.ts';

const TAG = 'tag:open-sell-crm,2026:problem:';

describe('toProblem', () => {
  it.each([
    [
      'ValidationError',
      ValidationError.field('body.name', 'must not be empty'),
      422,
      'Unprocessable Content',
      'validation_failed',
    ],
    ['MalformedRequestError', new MalformedRequestError('The body is not valid JSON'), 400, 'Bad Request', 'malformed_request'],
    ['RouteNotFoundError', new RouteNotFoundError('No route for GET /nope'), 404, 'Not Found', 'route_not_found'],
    ['NotFoundError', new NotFoundError('deal', 'D1'), 404, 'Not Found', 'deal.not_found'],
    [
      'UnauthenticatedError',
      new UnauthenticatedError('A valid bearer token is required'),
      401,
      'Unauthorized',
      'unauthenticated',
    ],
    ['ForbiddenError', new ForbiddenError('Your role (user) may not do this'), 403, 'Forbidden', 'forbidden'],
    [
      'VersionMismatchError',
      new VersionMismatchError('deal', 'D1', { id: 'D1' }),
      412,
      'Precondition Failed',
      'version_mismatch',
    ],
    ['ConflictError', new ConflictError('Already done'), 409, 'Conflict', 'conflict'],
  ] as const)('maps %s to its status, default code and a type per code', (_name, error, status, title, code) => {
    const problem = toProblem(error);
    expect(problem).toMatchObject({ status, title, code, type: `${TAG}${code}` });
    expect(problem.type).toBe(problemType(code));
  });

  it('carries an explicit code and its type', () => {
    const error = new ConflictError('Lead L1 was converted', { code: 'lead.already_converted' });
    expect(toProblem(error)).toEqual({
      type: 'tag:open-sell-crm,2026:problem:lead.already_converted',
      code: 'lead.already_converted',
      title: 'Conflict',
      status: 409,
      detail: 'Lead L1 was converted',
    });
    const forbidden = new ForbiddenError('Only the creator', { code: 'note.change_forbidden' });
    expect(toProblem(forbidden)).toMatchObject({ status: 403, code: 'note.change_forbidden' });
  });

  it('lists refused fields with a field code, `invalid` when none was given', () => {
    const error = new ValidationError([
      { field: 'body.name', message: 'must not be empty' },
      { field: 'body.owner_id', message: 'no active user U9', code: 'unknown_reference' },
    ]);
    expect(toProblem(error)).toEqual({
      type: `${TAG}validation_failed`,
      code: 'validation_failed',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'The request has invalid fields',
      errors: [
        { field: 'body.name', message: 'must not be empty', code: 'invalid' },
        { field: 'body.owner_id', message: 'no active user U9', code: 'unknown_reference' },
      ],
    });
  });

  it('gives a 422 with its own code when the rule has one', () => {
    const error = ValidationError.field('body.pipeline_id', 'stage S1 belongs to pipeline P2', {
      code: 'deal.stage_not_in_pipeline',
    });
    expect(toProblem(error)).toMatchObject({
      status: 422,
      code: 'deal.stage_not_in_pipeline',
      type: `${TAG}deal.stage_not_in_pipeline`,
      errors: [{ field: 'body.pipeline_id', message: 'stage S1 belongs to pipeline P2', code: 'invalid' }],
    });
  });

  it('keeps the record as it is now on a 412', () => {
    const current = { id: 'D1', version: 3 };
    expect(toProblem(new VersionMismatchError('deal', 'D1', current))).toMatchObject({ status: 412, current });
  });

  it('maps Powertools idempotency errors by name', () => {
    const reused = Object.assign(new Error('payload mismatch'), { name: 'IdempotencyValidationError' });
    expect(toProblem(reused)).toMatchObject({
      status: 422,
      code: 'idempotency.key_reused',
      type: `${TAG}idempotency.key_reused`,
      errors: [{ field: 'headers.idempotency-key', code: 'invalid' }],
    });
    const running = Object.assign(new Error('in progress'), { name: 'IdempotencyAlreadyInProgressError' });
    expect(toProblem(running)).toMatchObject({ status: 409, code: 'idempotency.in_progress' });
  });

  it.each([
    ['an Error', new Error('connect ECONNREFUSED 10.0.0.7:8000 (table crm-prod)')],
    ['a bare DomainError', new DomainError('internal detail', 'conflict')],
    ['a string', 'secret'],
    ['null', null],
  ])('answers %s with a 500 that reveals nothing', (_name, error) => {
    const problem = toProblem(error);
    expect(problem).toEqual({
      type: `${TAG}internal_error`,
      code: 'internal_error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'Something went wrong on our side; the error was logged',
    });
  });
});
