import * as z from 'zod/mini';
import { contactDetailFields, contactDetailRecordFields, fullName } from '#shared/contacts/details.ts';
import { customFieldValuesSchema } from '#shared/custom-fields/domain.ts';
import { ConflictError, ValidationError, type FieldProblem } from '#shared/kernel/errors.ts';
import { idSchema, notEmpty, text } from '#shared/kernel/schema.ts';

// Leads (F3.1) with Zendesk Sell's field names and meanings (X6): a person or a company not
// yet in the pipeline. Status new, working or unqualified (with a reason); "converted" is set
// only by converting the lead (F3.3), after which the lead is kept as it was, read-only.

export const LEAD_STATUSES = ['new', 'working', 'unqualified', 'converted'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];
/** What a request may set; "converted" comes from conversion alone. */
export const LEAD_INPUT_STATUSES = ['new', 'working', 'unqualified'] as const satisfies readonly LeadStatus[];

/**
 * A lead as stored and as the API shows it. Stored, custom_fields holds values by field id;
 * the API shows them by field name (presentCustomFields).
 */
export const leadSchema = z.object({
  id: z.string(),
  first_name: z.nullable(z.string()),
  last_name: z.nullable(z.string()),
  organization_name: z.nullable(z.string()),
  status: z.enum(LEAD_STATUSES),
  unqualified_reason_id: z.nullable(z.string()),
  owner_id: z.string(),
  creator_id: z.string(),
  source_id: z.nullable(z.string()),
  ...contactDetailRecordFields,
  custom_fields: customFieldValuesSchema,
  converted_at: z.nullable(z.string()),
  converted_contact_id: z.nullable(z.string()),
  converted_organization_id: z.nullable(z.string()),
  converted_deal_id: z.nullable(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type Lead = z.output<typeof leadSchema>;

/** A lead as the API shows it: the same shape, custom fields by name. */
export type LeadView = Lead;

const statusInput = z.enum(LEAD_INPUT_STATUSES, {
  error: 'must be new, working or unqualified (a lead becomes converted only by converting it)',
});

const leadFields = {
  first_name: z.optional(z.nullable(text(255))),
  last_name: z.optional(z.nullable(text(255))),
  organization_name: z.optional(z.nullable(text(255))),
  status: z.optional(statusInput),
  unqualified_reason_id: z.optional(z.nullable(idSchema)),
  owner_id: z.optional(idSchema),
  source_id: z.optional(z.nullable(idSchema)),
  ...contactDetailFields,
  custom_fields: z.optional(z.record(z.string(), z.unknown())),
};

export const createLeadInput = z.strictObject(leadFields);
export const updateLeadInput = z.strictObject(leadFields).check(notEmpty);
export type CreateLeadInput = z.output<typeof createLeadInput>;
export type UpdateLeadInput = z.output<typeof updateLeadInput>;

/**
 * The rules between a lead's fields, on the lead as it would be saved: a last name or an
 * organization name; an unqualified reason exactly when unqualified (a reason that no longer
 * fits the status is cleared, as a deal's is when it leaves its closed stage).
 */
export function checkLead(lead: Lead): Lead {
  const checked: Lead = { ...lead };
  if (checked.status !== 'unqualified') checked.unqualified_reason_id = null;
  const problems: FieldProblem[] = [];
  if (!checked.last_name && !checked.organization_name) {
    problems.push({ field: 'body.last_name', message: 'a lead needs a last name or an organization name' });
  }
  if (checked.status === 'unqualified' && !checked.unqualified_reason_id) {
    problems.push({ field: 'body.unqualified_reason_id', message: 'is required for an unqualified lead' });
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return checked;
}

/** A converted lead is kept as the record of what was converted: nothing changes it. */
export function assertNotConverted(lead: Lead): void {
  if (lead.status === 'converted') {
    throw new ConflictError(
      `Lead ${lead.id} was converted on ${lead.converted_at ?? '?'} (contact ${lead.converted_contact_id ?? '?'}) and is read-only`,
      { code: 'lead.already_converted' },
    );
  }
}

/** What a conversion made from the lead (F3.3). */
export interface LeadConversion {
  contact_id: string;
  organization_id: string | null;
  deal_id: string | null;
  /** ISO time of the conversion. */
  at: string;
}

/**
 * The lead as a conversion leaves it: status converted, the records it became, a new version.
 * Refuses (ConflictError) a lead already converted; conversion is irreversible.
 */
export function leadAsConverted(lead: Lead, conversion: LeadConversion): Lead {
  assertNotConverted(lead);
  return {
    ...lead,
    status: 'converted',
    unqualified_reason_id: null,
    converted_at: conversion.at,
    converted_contact_id: conversion.contact_id,
    converted_organization_id: conversion.organization_id,
    converted_deal_id: conversion.deal_id,
    updated_at: conversion.at,
    version: lead.version + 1,
  };
}

/** How a lead is named in lists and search: the person, else the company. */
export function leadDisplayName(lead: Pick<Lead, 'first_name' | 'last_name' | 'organization_name'>): string {
  return fullName(lead.first_name, lead.last_name) || (lead.organization_name ?? '');
}
