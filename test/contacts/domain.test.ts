import { describe, expect, it } from 'vitest';
import {
  checkContact,
  contactInputProblems,
  createContactInput,
  newContact,
  statusesFromDeals,
  updateContactInput,
  type CustomerStatus,
  type ProspectStatus,
} from '#shared/contacts/domain.ts';
import { addressFilterValue, EMPTY_ADDRESS, mergeAddress } from '#shared/contacts/details.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import type { StageCategory } from '#shared/pipelines/defaults.ts';
import { makeContact } from './fakes.ts';

const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.problems.map((p) => p.field);
    throw error;
  }
  return expect.unreachable('expected a ValidationError');
};

describe('checkContact', () => {
  it('derives a person’s name from first and last name, and needs the last name', () => {
    expect(checkContact(makeContact('C1', { first_name: 'Zoë', last_name: 'Müller', name: 'stale' })).name).toBe('Zoë Müller');
    expect(fieldsOf(() => checkContact(makeContact('C1', { last_name: null })))).toEqual(['body.last_name']);
  });

  it('needs an organisation’s name and refuses its first and last names and an organisation of its own', () => {
    expect(fieldsOf(() => checkContact(makeContact('O1', { is_organization: true, name: '' })))).toEqual(['body.name']);
    expect(
      fieldsOf(() =>
        checkContact(makeContact('O1', { is_organization: true, first_name: 'A', last_name: 'B', contact_id: 'O2' })),
      ),
    ).toEqual(['body.first_name', 'body.last_name', 'body.contact_id']);
    expect(checkContact(makeContact('O1', { is_organization: true, name: 'Acme' })).name).toBe('Acme');
  });

  it('refuses a person belonging to themself', () => {
    expect(fieldsOf(() => checkContact(makeContact('C1', { contact_id: 'C1' })))).toEqual(['body.contact_id']);
  });
});

describe('newContact', () => {
  it('fills the defaults, starts with no deal statuses but a past customer, and checks the rules', () => {
    const meta = { id: 'C9', creator_id: 'U1', now: '2031-03-04T09:00:00.000Z' };
    const contact = newContact(
      { is_organization: false, owner_id: 'U2', first_name: 'Ada', last_name: 'Byron', customer_status: 'past' },
      meta,
    );
    expect(contact).toMatchObject({
      id: 'C9',
      name: 'Ada Byron',
      owner_id: 'U2',
      creator_id: 'U1',
      contact_id: null,
      address: EMPTY_ADDRESS,
      prospect_status: 'none',
      customer_status: 'past',
      tags: [],
      custom_fields: {},
      created_at: meta.now,
      version: 1,
    });
    expect(
      newContact({ is_organization: true, owner_id: 'U2', name: 'Acme', customer_status: 'current' }, meta).customer_status,
    ).toBe('none');
    expect(fieldsOf(() => newContact({ is_organization: true, owner_id: 'U2' }, meta))).toEqual(['body.name']);
  });
});

describe('contactInputProblems', () => {
  it('refuses prospect_status, and customer_status other than past', () => {
    expect(contactInputProblems({ prospect_status: 'current' }, false).map((p) => p.field)).toEqual(['body.prospect_status']);
    expect(contactInputProblems({ customer_status: 'current' }, false).map((p) => p.field)).toEqual(['body.customer_status']);
    expect(contactInputProblems({ customer_status: 'none' }, true).map((p) => p.field)).toEqual(['body.customer_status']);
    expect(contactInputProblems({ customer_status: 'past' }, false)).toEqual([]);
  });

  it('refuses a name for a person, not for an organisation', () => {
    expect(contactInputProblems({ name: 'Jane Doe' }, false).map((p) => p.field)).toEqual(['body.name']);
    expect(contactInputProblems({ name: 'Acme' }, true)).toEqual([]);
  });

  it('come after the schemas, which know the statuses by name', () => {
    expect(createContactInput.safeParse({ customer_status: 'former' }).success).toBe(false);
    expect(updateContactInput.parse({ customer_status: 'past' })).toEqual({ customer_status: 'past' });
  });
});

describe('statusesFromDeals', () => {
  const cases: [string, CustomerStatus, StageCategory[], ProspectStatus, CustomerStatus][] = [
    // label, customer before, categories of the deals, prospect after, customer after
    ['no deals', 'none', [], 'none', 'none'],
    ['an open deal', 'none', ['active'], 'current', 'none'],
    ['a won deal', 'none', ['won'], 'none', 'current'],
    ['won and open', 'none', ['won', 'active'], 'current', 'current'],
    ['a lost deal', 'none', ['lost'], 'lost', 'none'],
    ['an unqualified deal', 'none', ['unqualified'], 'lost', 'none'],
    ['lost, then a new open one', 'none', ['lost', 'active'], 'current', 'none'],
    ['won and lost', 'none', ['won', 'lost'], 'lost', 'current'],
    ['the won deal is gone', 'current', [], 'none', 'none'],
    ['past stays past with a won deal', 'past', ['won'], 'none', 'past'],
    ['past stays past with no deal', 'past', [], 'none', 'past'],
    ['past, and an open deal', 'past', ['active'], 'current', 'past'],
  ];
  it.each(cases)('%s', (_label, customerBefore, categories, prospect, customer) => {
    expect(statusesFromDeals({ prospect_status: 'lost', customer_status: customerBefore }, categories)).toEqual({
      prospect_status: prospect,
      customer_status: customer,
    });
  });
});

describe('addresses', () => {
  it('merge the parts a request names, clear with null, and keep the others', () => {
    const before = { ...EMPTY_ADDRESS, line1: '1 Main St', city: 'Lyon' };
    expect(mergeAddress(before, { city: 'Paris', postal_code: '75001' })).toEqual({
      ...before,
      city: 'Paris',
      postal_code: '75001',
    });
    expect(mergeAddress(before, { city: null })).toEqual({ ...before, city: null });
    expect(mergeAddress(before, null)).toEqual(EMPTY_ADDRESS);
    expect(mergeAddress(before, undefined)).toEqual(before);
  });

  it('compare ignoring case, accents and spacing', () => {
    expect(addressFilterValue('  Zürich ')).toBe(addressFilterValue('zurich'));
    expect(addressFilterValue('   ')).toBeNull();
    expect(addressFilterValue(null)).toBeNull();
  });
});
