import { describe, expect, it } from 'vitest';
import { fromMinor, parseAmount, toMinor } from '#shared/kernel/money.ts';

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

  it('adds in minor units without float error', () => {
    expect(fromMinor(toMinor('0.10') + toMinor('0.20'))).toBe('0.30');
    expect(toMinor('9999999999999.99')).toBe(999999999999999);
    expect(fromMinor(-150)).toBe('-1.50');
  });
});
