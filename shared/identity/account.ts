import * as z from 'zod/mini';
import { notEmpty, text } from '#shared/kernel/schema.ts';

// The company's account settings (GET/PATCH /account); Sell's names. The deployment config
// gives the defaults until an admin changes them.

/** The account settings; `updated_at` is null until an admin first changes them. */
export const accountSchema = z.object({
  name: z.string(),
  currency: z.string(),
  timezone: z.string(),
  time_format: z.enum(['12h', '24h']),
  logo_url: z.nullable(z.string()),
  updated_at: z.nullable(z.string()),
  version: z.int(),
});
export type Account = z.output<typeof accountSchema>;

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * ISO 4217 currency codes in use, as the runtime's ICU (CLDR) knows them: the list is kept by
 * Unicode, not by us, and "ZZZ" is not on it.
 */
export const CURRENCY_CODES: readonly string[] = Intl.supportedValuesOf('currency');
const currencyCodes = new Set(CURRENCY_CODES);
const CURRENCY_RULE = 'must be an ISO 4217 currency code in use, such as "EUR"';

export const currencySchema = z.string().check(
  z.regex(/^[A-Z]{3}$/, { message: CURRENCY_RULE, abort: true }),
  z.refine((code: string) => currencyCodes.has(code), CURRENCY_RULE),
  z.describe('An ISO 4217 currency code in use (upper case), such as "EUR"'),
);

export const updateAccountInput = z
  .strictObject({
    name: z.optional(text(200)),
    currency: z.optional(currencySchema),
    timezone: z.optional(z.string().check(z.refine(isTimeZone, 'must be an IANA time zone such as "Europe/Paris"'))),
    time_format: z.optional(z.enum(['12h', '24h'])),
    logo_url: z.optional(z.nullable(z.url({ protocol: /^https$/ }))),
  })
  .check(notEmpty);
