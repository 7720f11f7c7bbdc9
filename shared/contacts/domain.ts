import * as z from 'zod/mini';
import {
  addressSchema,
  contactDetailFields,
  contactDetailRecordFields,
  EMPTY_ADDRESS,
  fullName,
  nullableAddressInput,
} from './details.ts';
import { customFieldValuesSchema } from '#shared/custom-fields/domain.ts';
import { ValidationError, type FieldProblem } from '#shared/kernel/errors.ts';
import type { StageCategory } from '#shared/pipelines/defaults.ts';
import { idSchema, notEmpty, text } from '#shared/kernel/schema.ts';

// Contacts (F3.2) with Zendesk Sell's field names and meanings (X6): people and organisations
// you do business with. A person may belong to an organisation contact (`contact_id`). Whether
// a contact is a prospect or a customer follows its deals, as in Sell (statusesFromDeals);
// only "past customer" is said by hand.

export const PROSPECT_STATUSES = ['none', 'current', 'lost'] as const;
export type ProspectStatus = (typeof PROSPECT_STATUSES)[number];
export const CUSTOMER_STATUSES = ['none', 'current', 'past'] as const;
export type CustomerStatus = (typeof CUSTOMER_STATUSES)[number];

/**
 * A contact as stored and as the API shows it. Stored, custom_fields holds values by field id;
 * the API shows them by field name (presentCustomFields).
 */
export const contactSchema = z.object({
  id: z.string(),
  /** Fixed at creation. */
  is_organization: z.boolean(),
  /** An organisation's name; for a person, "first last" (derived, for display and search). */
  name: z.string(),
  first_name: z.nullable(z.string()),
  last_name: z.nullable(z.string()),
  /** A person's organisation (an organisation contact); always null for organisations. */
  contact_id: z.nullable(z.string()),
  owner_id: z.string(),
  creator_id: z.string(),
  source_id: z.nullable(z.string()),
  ...contactDetailRecordFields,
  billing_address: addressSchema,
  shipping_address: addressSchema,
  prospect_status: z.enum(PROSPECT_STATUSES),
  customer_status: z.enum(CUSTOMER_STATUSES),
  custom_fields: customFieldValuesSchema,
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type Contact = z.output<typeof contactSchema>;

/** A contact as the API shows it: the same shape, custom fields by name. */
export type ContactView = Contact;

const contactFields = {
  name: z.optional(z.nullable(text(255))),
  first_name: z.optional(z.nullable(text(255))),
  last_name: z.optional(z.nullable(text(255))),
  contact_id: z.optional(z.nullable(idSchema)),
  owner_id: z.optional(idSchema),
  source_id: z.optional(z.nullable(idSchema)),
  ...contactDetailFields,
  billing_address: z.optional(nullableAddressInput),
  shipping_address: z.optional(nullableAddressInput),
  // Sell's names are accepted so that the answer can say why they cannot be set.
  prospect_status: z.optional(z.enum(PROSPECT_STATUSES)),
  customer_status: z.optional(z.enum(CUSTOMER_STATUSES)),
  custom_fields: z.optional(z.record(z.string(), z.unknown())),
};

export const createContactInput = z.strictObject({ is_organization: z.optional(z.boolean()), ...contactFields });
/** `is_organization` is named so that a change can be refused by name (it is fixed at creation). */
export const updateContactInput = z.strictObject({ is_organization: z.optional(z.boolean()), ...contactFields }).check(notEmpty);
export type CreateContactInput = z.output<typeof createContactInput>;
export type UpdateContactInput = z.output<typeof updateContactInput>;

/**
 * What a request may not name, whatever the record: prospect_status at all (it follows the
 * deals), customer_status other than "past" (a former customer is a fact the deals cannot
 * tell), and a person's `name` (people are named by first_name and last_name).
 */
export function contactInputProblems(
  input: { name?: unknown; prospect_status?: string | undefined; customer_status?: string | undefined },
  isOrganization: boolean,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!isOrganization && input.name !== undefined) {
    problems.push({ field: 'body.name', message: 'people are named by first_name and last_name; name is for organisations' });
  }
  if (input.prospect_status !== undefined) {
    problems.push({
      field: 'body.prospect_status',
      message: "follows the contact's deals (current while one is open, lost when all were lost) and cannot be set",
    });
  }
  if (input.customer_status !== undefined && input.customer_status !== 'past') {
    problems.push({
      field: 'body.customer_status',
      message: 'only "past" can be set by hand; "current" and "none" follow the contact\'s won deals',
    });
  }
  return problems;
}

/**
 * The rules between a contact's fields, on the contact as it would be saved: an organisation
 * has a name and no first or last name nor organisation; a person has a last name (and their
 * `name` is derived from it).
 */
export function checkContact(contact: Contact): Contact {
  const checked: Contact = { ...contact };
  const problems: FieldProblem[] = [];
  if (checked.is_organization) {
    if (!checked.name) problems.push({ field: 'body.name', message: 'an organisation needs a name' });
    for (const field of ['first_name', 'last_name'] as const) {
      if (checked[field] !== null) {
        problems.push({ field: `body.${field}`, message: 'organisations have a name, not first and last names' });
      }
    }
    if (checked.contact_id !== null) {
      problems.push({ field: 'body.contact_id', message: 'an organisation does not belong to another organisation' });
    }
  } else {
    if (!checked.last_name) problems.push({ field: 'body.last_name', message: 'a person needs a last name' });
    checked.name = fullName(checked.first_name, checked.last_name);
    if (checked.contact_id === checked.id) {
      problems.push({ field: 'body.contact_id', message: 'must be an organisation contact' });
    }
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return checked;
}

/** What a new contact is made of; every field not given takes its default (null, empty, none). */
export type NewContactFields = Partial<
  Omit<Contact, 'id' | 'creator_id' | 'prospect_status' | 'customer_status' | 'created_at' | 'updated_at' | 'version'>
> & {
  is_organization: boolean;
  owner_id: string;
  /** Only "past" may be said by hand; anything else starts as "none" and follows the deals. */
  customer_status?: CustomerStatus | undefined;
};

/**
 * A new contact at version 1, checked (checkContact): for the create use case and for a lead
 * conversion, which builds the person (and their organisation) from the lead. Custom field
 * values must already be validated and stored by id.
 */
export function newContact(fields: NewContactFields, meta: { id: string; creator_id: string; now: string }): Contact {
  return checkContact({
    id: meta.id,
    is_organization: fields.is_organization,
    name: fields.name ?? '',
    first_name: fields.first_name ?? null,
    last_name: fields.last_name ?? null,
    contact_id: fields.contact_id ?? null,
    title: fields.title ?? null,
    description: fields.description ?? null,
    owner_id: fields.owner_id,
    creator_id: meta.creator_id,
    source_id: fields.source_id ?? null,
    email: fields.email ?? null,
    phone: fields.phone ?? null,
    mobile: fields.mobile ?? null,
    website: fields.website ?? null,
    industry: fields.industry ?? null,
    address: { ...EMPTY_ADDRESS, ...fields.address },
    billing_address: { ...EMPTY_ADDRESS, ...fields.billing_address },
    shipping_address: { ...EMPTY_ADDRESS, ...fields.shipping_address },
    // No deals yet: a deal naming the contact later moves these (the contact-status consumer).
    prospect_status: 'none',
    customer_status: fields.customer_status === 'past' ? 'past' : 'none',
    tags: [...(fields.tags ?? [])],
    custom_fields: { ...fields.custom_fields },
    created_at: meta.now,
    updated_at: meta.now,
    version: 1,
  });
}

/**
 * A contact's statuses from the stage categories of all its deals (as Sell keeps them): a won
 * deal makes a current customer, unless someone said "past" by hand, which stays; an open deal
 * makes a current prospect, else a lost or unqualified one a lost prospect, else none.
 */
export function statusesFromDeals(
  current: Pick<Contact, 'prospect_status' | 'customer_status'>,
  categories: readonly StageCategory[],
): Pick<Contact, 'prospect_status' | 'customer_status'> {
  const has = (category: StageCategory) => categories.includes(category);
  const customer_status: CustomerStatus = current.customer_status === 'past' ? 'past' : has('won') ? 'current' : 'none';
  const prospect_status: ProspectStatus = has('active') ? 'current' : has('lost') || has('unqualified') ? 'lost' : 'none';
  return { prospect_status, customer_status };
}
