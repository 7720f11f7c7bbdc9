import { ValidationError } from './errors.ts';

// Deal values are exact decimals (X6, F4.1): kept as strings in records and as integer minor
// units (hundredths) wherever they are summed or compared, so no float ever rounds a value.
// 10^13 keeps every sum of minor units far below 2^53.

const DECIMAL = /^(\d{1,13})(?:\.(\d{1,2}))?$/;

/** The rule of an amount, as refusals and the API documents state it. */
export const AMOUNT_RULE =
  'an amount ≥ 0 with at most 13 digits before the decimal point and 2 after (at most 9999999999999.99), as a JSON number or a string, e.g. 1250.50 or "1250.50"';

/** A JSON number or string → the canonical decimal string ("1200.5" → "1200.50"). */
export function parseAmount(input: unknown, field: string): string {
  const text =
    typeof input === 'number' && Number.isFinite(input) ? String(input) : typeof input === 'string' ? input.trim() : '';
  const match = DECIMAL.exec(text);
  if (!match) {
    throw ValidationError.field(field, `must be ${AMOUNT_RULE}`);
  }
  const units = String(Number(match[1]));
  const cents = (match[2] ?? '').padEnd(2, '0');
  return `${units}.${cents}`;
}

/** "1200.50" → 120050 */
export function toMinor(amount: string): number {
  const [units = '0', cents = '00'] = amount.split('.');
  return Number(units) * 100 + Number(cents.padEnd(2, '0'));
}

/** 120050 → "1200.50" */
export function fromMinor(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
