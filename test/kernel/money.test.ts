import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { createDealInput } from '#shared/deals/domain.ts';
import { AMOUNT_RULE, fromMinor, parseAmount, toMinor } from '#shared/kernel/money.ts';

describe('amounts', () => {
  it.each([
    [0, '0.00'],
    [1250.5, '1250.50'],
    ['1250.5', '1250.50'],
    ['0.1', '0.10'],
    [' 007.25 ', '7.25'],
    ['9999999999999.99', '9999999999999.99'],
  ])('parses %j as %s', (input, expected) => {
    expect(parseAmount(input, 'body.value')).toBe(expected);
  });

  it.each([['12.345'], [-1], ['-1'], ['1e3'], ['abc'], [''], [null], [Number.NaN], ['10000000000000']])(
    'refuses %j naming the field',
    (input) => {
      expect(() => parseAmount(input, 'body.value')).toThrowError(
        expect.objectContaining({ problems: [expect.objectContaining({ field: 'body.value' })] }),
      );
    },
  );

  it('states the cap in the refusal and in the document: 13 digits before the point, 2 after', () => {
    expect(() => parseAmount('10000000000000', 'body.value')).toThrowError(
      expect.objectContaining({
        problems: [expect.objectContaining({ message: expect.stringContaining('at most 13 digits before the decimal point') })],
      }),
    );
    expect(AMOUNT_RULE).toContain('9999999999999.99');
    const document = JSON.stringify(z.toJSONSchema(createDealInput, { io: 'input', unrepresentable: 'any' }));
    expect(document).toContain('at most 13 digits before the decimal point');
  });

  it('adds in minor units without float error', () => {
    expect(fromMinor(toMinor('0.10') + toMinor('0.20'))).toBe('0.30');
    expect(toMinor('9999999999999.99')).toBe(999999999999999);
    expect(fromMinor(-150)).toBe('-1.50');
  });
});
