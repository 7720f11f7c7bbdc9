import { describe, expect, it } from 'vitest';
import { addressOf, customFieldValueOf, leadStatusOf, SELL_IMPORT_STEPS, stageCategoryOf } from '#shared/sell-import/domain.ts';

// The importer's pure rules: step order, Sell's values in this product's shapes.

describe('Sell import steps', () => {
  it('reads in dependency order: users, pipelines, reasons and sources, custom fields, organisations before people, then records', () => {
    const order = SELL_IMPORT_STEPS.filter((s) => s.kind !== 'skip').map((s) => s.name);
    const at = (name: string) => order.indexOf(name);
    expect(at('users')).toBe(0);
    expect(at('pipelines')).toBeLessThan(at('deals'));
    expect(at('lead_sources')).toBeLessThan(at('leads'));
    expect(at('contacts (organizations)')).toBeLessThan(at('contacts (people)'));
    expect(at('contacts (people)')).toBeLessThan(at('deals'));
    expect(at('deals')).toBeLessThan(at('associated_contacts'));
    expect(at('deals')).toBeLessThan(at('notes'));
    expect(at('leads')).toBeLessThan(at('tasks'));
    // Calls name their outcome, record and deals; texts their record.
    expect(at('call_outcomes')).toBeLessThan(at('calls'));
    expect(at('deals')).toBeLessThan(at('calls'));
    expect(at('contacts (people)')).toBeLessThan(at('text_messages'));
  });

  it('reports every resource it does not read, with the reason', () => {
    const skipped = SELL_IMPORT_STEPS.filter((s) => s.kind === 'skip');
    expect(skipped.map((s) => s.name)).toEqual(expect.arrayContaining(['tags', 'products', 'orders', 'visits']));
    expect(skipped.map((s) => s.name)).not.toContain('calls');
    expect(skipped.map((s) => s.name)).not.toContain('lead_conversions');
    expect(skipped.every((s) => (s.skip ?? '').length > 10)).toBe(true);
  });
});

describe("Sell's values here", () => {
  it('maps lead status labels onto new, working and unqualified', () => {
    expect(leadStatusOf('New')).toBe('new');
    expect(leadStatusOf('Unqualified')).toBe('unqualified');
    expect(leadStatusOf('Converted')).toBe('working');
    expect(leadStatusOf('Waiting for budget')).toBe('working');
    expect(leadStatusOf(null)).toBe('new');
  });

  it('reads a stage as open, won, lost or unqualified', () => {
    expect(stageCategoryOf({ name: 'Qualified', active: true, category: 'qualified' })).toBe('active');
    expect(stageCategoryOf({ name: 'Won', active: false, category: 'won' })).toBe('won');
    expect(stageCategoryOf({ name: 'Closed', active: false, category: 'lost' })).toBe('lost');
    expect(stageCategoryOf({ name: 'Unqualified', active: false })).toBe('unqualified');
    expect(stageCategoryOf({ name: 'Parked', active: false })).toBeUndefined();
  });

  it("converts custom field values: lists by name, Sell's dates, numbers from strings", () => {
    expect(customFieldValueOf('list', { id: 1, name: 'EMEA' })).toBe('EMEA');
    expect(
      customFieldValueOf('multi_select_list', [
        { id: 1, name: 'A' },
        { id: 3, name: 'B' },
      ]),
    ).toEqual(['A', 'B']);
    expect(customFieldValueOf('date', '4/7/2016')).toBe('2016-04-07');
    expect(customFieldValueOf('number', '123.45')).toBe(123.45);
    expect(customFieldValueOf('string', '123')).toBe('123');
  });

  it('keeps an address with a part, null when empty', () => {
    expect(addressOf({ city: 'Bern', line1: '' })).toEqual({
      line1: null,
      city: 'Bern',
      postal_code: null,
      state: null,
      country: null,
    });
    expect(addressOf({ city: ' ' })).toBeNull();
    expect(addressOf(null)).toBeNull();
  });
});
