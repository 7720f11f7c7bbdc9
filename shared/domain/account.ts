import { z } from 'zod';

// The company's account settings (GET/PATCH /account); Sell's names. The deployment config
// gives the defaults until an admin changes them.

export interface Account {
  name: string;
  currency: string;
  timezone: string;
  time_format: '12h' | '24h';
  logo_url: string | null;
  updated_at: string | null;
  version: number;
}

export const accountSchema = z.object({
  name: z.string(),
  currency: z.string(),
  timezone: z.string(),
  time_format: z.enum(['12h', '24h']),
  logo_url: z.string().nullable(),
  updated_at: z.string().nullable(),
  version: z.number().int(),
});

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const updateAccountInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"')
      .optional(),
    timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as "Europe/Paris"').optional(),
    time_format: z.enum(['12h', '24h']).optional(),
    logo_url: z
      .url({ protocol: /^https$/ })
      .nullable()
      .optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'name at least one field to change');
