import * as z from 'zod/mini';
import { currencySchema } from '#shared/identity/account.ts';
import { idSchema, text } from '#shared/kernel/schema.ts';

// What a lead conversion (F3.3) is asked to do: the one schema of its input, read by the route
// contract and typed for the use case.

/** POST /leads/{id}/convert: everything optional; the defaults are the lead's own. */
export const convertLeadInput = z.strictObject({
  organization_id: z.optional(idSchema),
  create_organization: z.optional(z.boolean()),
  deal: z.optional(
    z.nullable(
      z.strictObject({
        name: text(255),
        value: z.optional(z.union([z.number(), z.string()])),
        currency: z.optional(currencySchema),
        pipeline_id: z.optional(idSchema),
      }),
    ),
  ),
  owner_id: z.optional(idSchema),
});
export type ConvertLeadInput = z.output<typeof convertLeadInput>;
