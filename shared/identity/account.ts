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

export const currencySchema = z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"'));

export const updateAccountInput = z
  .strictObject({
    name: z.optional(text(200)),
    currency: z.optional(currencySchema),
    timezone: z.optional(z.string().check(z.refine(isTimeZone, 'must be an IANA time zone such as "Europe/Paris"'))),
    time_format: z.optional(z.enum(['12h', '24h'])),
    logo_url: z.optional(z.nullable(z.url({ protocol: /^https$/ }))),
  })
  .check(notEmpty);
