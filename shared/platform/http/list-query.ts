import * as z from 'zod/mini';

// List query strings of records with custom fields (leads, contacts): the named filters of
// the list, plus `custom_fields[<name>]=<value>`; any other key is refused by name, so that a
// misspelt filter never silently lists everything.

const CUSTOM_FIELD_FILTER = /^custom_fields\[[^\]]+\]$/;

export function listQueryWithCustomFields<T extends Record<string, z.ZodMiniType>>(fields: T) {
  return z.looseObject(fields).check(
    z.superRefine((query, ctx) => {
      for (const key of Object.keys(query)) {
        if (!(key in fields) && !CUSTOM_FIELD_FILTER.test(key)) {
          ctx.issues.push({ code: 'custom', path: [key], message: 'is not a known filter', input: query });
        }
      }
    }),
  );
}

/** Address filters (Sell's address parts), compared ignoring case and accents. */
export const addressQueryFields = {
  city: z.optional(z.string().check(z.maxLength(255))),
  state: z.optional(z.string().check(z.maxLength(255))),
  country: z.optional(z.string().check(z.maxLength(255))),
  postal_code: z.optional(z.string().check(z.maxLength(255))),
};
