import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  notFoundCode,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
  VersionMismatchError,
} from '#shared/kernel/errors.ts';
import { checkErrorCode, defineErrorCodes, listErrorCodes } from '#shared/kernel/error-codes.ts';

describe('error codes on domain errors', () => {
  it('defaults per class', () => {
    expect(new ValidationError([{ field: 'body.x', message: 'bad' }]).code).toBe('validation_failed');
    expect(ValidationError.field('body.x', 'bad').code).toBe('validation_failed');
    expect(new NotFoundError('deal', 'D1').code).toBe('deal.not_found');
    expect(new ForbiddenError('no').code).toBe('forbidden');
    expect(new UnauthenticatedError('no').code).toBe('unauthenticated');
    expect(new ConflictError('no').code).toBe('conflict');
    expect(new VersionMismatchError('deal', 'D1', null).code).toBe('version_mismatch');
  });

  it('takes an explicit code as the last argument, keeping message and fields', () => {
    const error = new ConflictError('Lead L1 was converted', { code: 'lead.already_converted' });
    expect(error).toMatchObject({ code: 'lead.already_converted', message: 'Lead L1 was converted', name: 'ConflictError' });
    const stale = new VersionMismatchError('deal', 'D1', { id: 'D1' }, { code: 'version_mismatch' });
    expect(stale).toMatchObject({ code: 'version_mismatch', current: { id: 'D1' }, detail: { resource: 'deal', id: 'D1' } });
  });

  it('gives ValidationError.field a problem code and a field code separately', () => {
    const error = ValidationError.field('body.stage_id', 'no stage S1', {
      code: 'deal.stage_not_in_pipeline',
      fieldCode: 'unknown_reference',
    });
    expect(error.code).toBe('deal.stage_not_in_pipeline');
    expect(error.problems).toEqual([{ field: 'body.stage_id', message: 'no stage S1', code: 'unknown_reference' }]);
    expect(ValidationError.field('body.x', 'bad').problems[0]).not.toHaveProperty('code');
  });

  it('names a missing resource in snake case', () => {
    expect(notFoundCode('custom field')).toBe('custom_field.not_found');
    expect(new NotFoundError('deal unqualified reason', 'R1').code).toBe('deal_unqualified_reason.not_found');
    expect(new NotFoundError('custom field', 'F1').message).toBe('custom field F1 was not found');
  });

  it('refuses a badly formed code', () => {
    expect(() => new DomainError('x', 'Lead.AlreadyConverted')).toThrow(TypeError);
    expect(() => new ConflictError('x', { code: 'lead already converted' as never })).toThrow(TypeError);
  });
});

describe('the code format', () => {
  it.each(['conflict', 'version_mismatch', 'lead.already_converted', 'idempotency.key_reused', 'custom_field.not_found', 'v2'])(
    'accepts %s',
    (code) => {
      expect(checkErrorCode(code)).toBe(code);
    },
  );

  it.each([
    '',
    'Conflict',
    'lead.',
    '.conflict',
    'a.b.c',
    'lead-conversion.x',
    'double__underscore',
    '_x',
    'x_',
    '9lives',
    'a b',
  ])('refuses %j', (code) => {
    expect(() => checkErrorCode(code)).toThrow(TypeError);
  });
});

describe('catalogues', () => {
  it('refuses a badly formed code when the catalogue is defined', () => {
    expect(() => defineErrorCodes('x', { 'Bad-Code': { status: 409, title: 't', description: 'd' } })).toThrow(/Bad-Code/);
  });

  it('flattens catalogues in order and refuses a code declared twice', () => {
    const a = defineErrorCodes('a', { 'a.one': { status: 409, title: 'One', description: 'first' } });
    const b = defineErrorCodes('b', { 'b.two': { status: 404, title: 'Two', description: 'second' } });
    expect(listErrorCodes([a, b])).toEqual([
      { code: 'a.one', family: 'a', status: 409, title: 'One', description: 'first' },
      { code: 'b.two', family: 'b', status: 404, title: 'Two', description: 'second' },
    ]);
    expect(() => listErrorCodes([a, b, a])).toThrow(/a\.one is declared by both a and a/);
  });
});
