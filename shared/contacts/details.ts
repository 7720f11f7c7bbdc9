import * as z from 'zod/mini';
import { normalizeSearchText } from '#shared/search/domain.ts';
import { text } from '#shared/kernel/schema.ts';
import { tagsSchema } from '#shared/kernel/tags.ts';

// What leads and contacts share (F3.1, F3.2, X6): e-mail, phones, website, industry, postal
// addresses and tags, with Sell's names. Sell accepts phone numbers and websites as typed
// ("www.acme.com", "+1 555 0100 ext. 12"), and so do we: only their length is checked.

export const ADDRESS_PARTS = ['line1', 'city', 'postal_code', 'state', 'country'] as const;
export type AddressPart = (typeof ADDRESS_PARTS)[number];

/** A postal address as records hold it; every part may be unknown (null). */
export const addressSchema = z.object({
  line1: z.nullable(z.string()),
  city: z.nullable(z.string()),
  postal_code: z.nullable(z.string()),
  state: z.nullable(z.string()),
  country: z.nullable(z.string()),
});
export type Address = z.output<typeof addressSchema>;

export const EMPTY_ADDRESS: Readonly<Address> = Object.freeze({
  line1: null,
  city: null,
  postal_code: null,
  state: null,
  country: null,
});

/** A part of an address in a request: text, or null to clear it. */
const addressPart = z.optional(z.nullable(text(255)));

/** An address in a request: the parts it names are set (null clears one), the others kept. */
export const addressInput = z.strictObject({
  line1: addressPart,
  city: addressPart,
  postal_code: addressPart,
  state: addressPart,
  country: addressPart,
});
export type AddressInput = z.output<typeof addressInput>;

/** `null` for the whole address clears every part. */
export const nullableAddressInput = z.nullable(addressInput);

/** The address after a request: parts named are set or cleared, others stay as they were. */
export function mergeAddress(before: Address, input: AddressInput | null | undefined): Address {
  if (input === undefined) return { ...before };
  if (input === null) return { ...EMPTY_ADDRESS };
  const merged: Address = { ...EMPTY_ADDRESS, ...before };
  for (const part of ADDRESS_PARTS) if (input[part] !== undefined) merged[part] = input[part] ?? null;
  return merged;
}

/**
 * Address parts as lists compare them: case, accents and spacing ignored, so a filter on
 * `city=zurich` finds "Zürich". Null where the part is unknown.
 */
export function addressFilterValue(value: string | null | undefined): string | null {
  const normalized = normalizeSearchText(value ?? '');
  return normalized === '' ? null : normalized;
}

export const emailSchema = z
  .string()
  .check(z.trim(), z.maxLength(254), z.regex(z.regexes.email, 'must be an e-mail address, e.g. jane@example.com'));
export const phoneSchema = text(50);
export const websiteSchema = text(2048);

/** The contact details fields of a request, each optional and nullable (null clears it). */
export const contactDetailFields = {
  title: z.optional(z.nullable(text(255))),
  description: z.optional(z.nullable(text(65_535))),
  email: z.optional(z.nullable(emailSchema)),
  phone: z.optional(z.nullable(phoneSchema)),
  mobile: z.optional(z.nullable(phoneSchema)),
  website: z.optional(z.nullable(websiteSchema)),
  industry: z.optional(z.nullable(text(255))),
  address: z.optional(nullableAddressInput),
  tags: z.optional(tagsSchema),
};

/** The same fields as records hold them (and the API shows them), for the record schemas. */
export const contactDetailRecordFields = {
  title: z.nullable(z.string()),
  description: z.nullable(z.string()),
  email: z.nullable(z.string()),
  phone: z.nullable(z.string()),
  mobile: z.nullable(z.string()),
  website: z.nullable(z.string()),
  industry: z.nullable(z.string()),
  address: addressSchema,
  tags: z.array(z.string()),
};

/** A person's name for display and search: "Jane Doe", or what there is of it. */
export function fullName(first: string | null | undefined, last: string | null | undefined): string {
  return [first, last]
    .map((s) => s?.trim() ?? '')
    .filter(Boolean)
    .join(' ');
}
