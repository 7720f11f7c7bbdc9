import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '#shared/kernel/errors.ts';
import { checkLead, createLeadInput, leadAsConverted, leadDisplayName, updateLeadInput } from '#shared/leads/domain.ts';
import { makeLead } from '#test/contacts/fakes.ts';

const problemsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.problems;
    throw error;
  }
  return expect.unreachable('expected a ValidationError');
};

describe('lead inputs', () => {
  it('accept new, working and unqualified, and refuse converted with the reason', () => {
    for (const status of ['new', 'working', 'unqualified']) expect(createLeadInput.safeParse({ status }).success).toBe(true);
    const converted = updateLeadInput.safeParse({ status: 'converted' });
    expect(converted.error?.issues).toEqual([
      expect.objectContaining({ path: ['status'], message: expect.stringContaining('only by converting') }),
    ]);
  });

  it('refuse the read-only conversion fields and unknown ones', () => {
    for (const field of ['converted_at', 'converted_contact_id', 'creator_id', 'version', 'nme']) {
      expect(createLeadInput.safeParse({ last_name: 'Doe', [field]: 'x' }).success, field).toBe(false);
    }
  });

  it('check e-mail addresses and trim them', () => {
    expect(createLeadInput.parse({ email: '  jane@example.com ' }).email).toBe('jane@example.com');
    expect(createLeadInput.safeParse({ email: 'jane' }).error?.issues[0]?.path).toEqual(['email']);
  });

  it('take a partial address and null to clear', () => {
    expect(updateLeadInput.parse({ address: { city: 'Lyon' } }).address).toEqual({ city: 'Lyon' });
    expect(updateLeadInput.parse({ address: null }).address).toBeNull();
    expect(updateLeadInput.safeParse({ address: { town: 'Lyon' } }).success).toBe(false);
  });
});

describe('checkLead', () => {
  it('needs a last name or an organization name, naming body.last_name', () => {
    expect(problemsOf(() => checkLead(makeLead('L1', { last_name: null, organization_name: null })))).toEqual([
      { field: 'body.last_name', message: 'a lead needs a last name or an organization name' },
    ]);
    expect(checkLead(makeLead('L1', { first_name: null, last_name: null, organization_name: 'Acme' })).organization_name).toBe(
      'Acme',
    );
  });

  it('needs an unqualified reason for an unqualified lead, and clears it for other statuses', () => {
    expect(problemsOf(() => checkLead(makeLead('L1', { status: 'unqualified' })))).toEqual([
      { field: 'body.unqualified_reason_id', message: 'is required for an unqualified lead' },
    ]);
    expect(checkLead(makeLead('L1', { status: 'unqualified', unqualified_reason_id: 'R1' })).unqualified_reason_id).toBe('R1');
    expect(checkLead(makeLead('L1', { status: 'working', unqualified_reason_id: 'R1' })).unqualified_reason_id).toBeNull();
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(() => checkLead(makeLead('L1', { last_name: null, status: 'unqualified' })));
    expect(problems.map((p) => p.field)).toEqual(['body.last_name', 'body.unqualified_reason_id']);
  });
});

describe('leadAsConverted', () => {
  it('marks the lead converted with what it became, at a new version', () => {
    const lead = makeLead('L1', { status: 'unqualified', unqualified_reason_id: 'R1', version: 3 });
    const at = '2031-03-04T09:00:00.000Z';
    expect(leadAsConverted(lead, { contact_id: 'C1', organization_id: 'O1', deal_id: null, at })).toEqual({
      ...lead,
      status: 'converted',
      unqualified_reason_id: null,
      converted_at: at,
      converted_contact_id: 'C1',
      converted_organization_id: 'O1',
      converted_deal_id: null,
      updated_at: at,
      version: 4,
    });
  });

  it('refuses a lead already converted (conversion is irreversible)', () => {
    const once = leadAsConverted(makeLead('L1'), { contact_id: 'C1', organization_id: null, deal_id: 'D1', at: 'now' });
    expect(() => leadAsConverted(once, { contact_id: 'C2', organization_id: null, deal_id: null, at: 'later' })).toThrow(
      ConflictError,
    );
  });
});

describe('leadDisplayName', () => {
  it('is the person, else the organisation', () => {
    expect(leadDisplayName(makeLead('L1', { first_name: ' Zoë ', last_name: 'Müller', organization_name: 'Acme' }))).toBe(
      'Zoë Müller',
    );
    expect(leadDisplayName(makeLead('L1', { first_name: null, last_name: null, organization_name: 'Acme' }))).toBe('Acme');
  });
});
