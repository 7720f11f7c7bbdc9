import * as z from 'zod/mini';
import { contactSchema } from '#shared/contacts/domain.ts';
import { dealSchema } from '#shared/deals/domain.ts';
import { leadSchema } from '#shared/leads/domain.ts';
import { convertLeadInput } from './domain.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams } from '#shared/platform/http/schemas.ts';

// POST /leads/{id}/convert (F3.3): served by the leads Lambda.

export { convertLeadInput };

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
