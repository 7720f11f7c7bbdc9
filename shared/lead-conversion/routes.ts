import * as z from 'zod/mini';
import { contactSchema } from '#shared/contacts/domain.ts';
import { currencySchema } from '#shared/identity/account.ts';
import { dealSchema } from '#shared/deals/domain.ts';
import { leadSchema } from '#shared/leads/domain.ts';
import { idSchema, text } from '#shared/kernel/schema.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams } from '#shared/platform/http/schemas.ts';

// POST /leads/{id}/convert (F3.3): served by the leads Lambda.

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

export const convertLeadRoute = route({
  id: 'convertLead',
  method: 'POST',
  path: '/leads/{id}/convert',
  family: 'leads',
  summary: 'Convert a lead into a contact (and organisation, and deal)',
  access: ALL_ROLES,
  params: idParams,
  body: convertLeadInput,
  response: z.object({
    lead: leadSchema,
    contact: contactSchema,
    organization: z.nullable(contactSchema),
    deal: z.nullable(dealSchema),
  }),
  status: 200,
  idempotent: true,
  tags: ['leads'],
});
