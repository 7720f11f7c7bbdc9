import { describe, expect, it } from 'vitest';
import {
  MAX_CHOICES,
  MAX_VALUE_CHANGES_PER_WRITE,
  createCustomFieldInput,
  customFieldFilter,
  definitionProblems,
  isCustomFieldFilterKey,
  parseCustomFieldFilters,
  parseDateTime,
  presentCustomFields,
  removedChoices,
  updateCustomFieldInput,
  validateCustomFieldInput,
  valueCountChanges,
  type CustomFieldDefinition,
  type CustomFieldType,
  type StoredCustomFields,
} from '#shared/custom-fields/domain.ts';
import { customFieldResourceParam } from '#shared/custom-fields/routes.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import { parsePart } from '#shared/platform/http/request.ts';
import { makeCustomField } from './fakes.ts';
import { testId } from '#test/helpers/fakes.ts';

const field = (n: number, type: CustomFieldType, name: string, overrides: Partial<CustomFieldDefinition> = {}) =>
  makeCustomField(testId(n), { type, name, ...overrides });

const F = {
  title: field(1, 'string', 'Title'),
  notes: field(2, 'text', 'Notes'),
  vip: field(3, 'bool', 'VIP'),
  tier: field(4, 'list', 'Tier', { choices: ['Gold', 'Silver', 'Bronze'] }),
  colours: field(5, 'multi_select_list', 'Colours', { choices: ['Red', 'Green', 'Blue'] }),
  signed: field(6, 'date', 'Signed on'),
  call: field(7, 'datetime', 'Call at'),
  budget: field(8, 'number', 'Budget'),
  billing: field(9, 'email', 'Billing e-mail'),
  phone: field(10, 'phone', 'Phone'),
  office: field(11, 'address', 'Office'),
  site: field(12, 'url', 'Website'),
};
const DEFINITIONS = Object.values(F);

/** Validates `{ [name]: raw }` on an empty record. */
function one(name: string, raw: unknown) {
  return validateCustomFieldInput(DEFINITIONS, { [name]: raw }, {});
}

function stores(name: string, raw: unknown, expected: unknown) {
  const definition = DEFINITIONS.find((d) => d.name === name)!;
  const { stored, problems } = one(name, raw);
  expect(problems).toEqual([]);
  expect(stored).toEqual({ [definition.id]: expected });
}

function refuses(name: string, raw: unknown, message: RegExp) {
  const { stored, problems } = one(name, raw);
  expect(stored).toEqual({});
  expect(problems).toHaveLength(1);
  expect(problems[0]!.field).toBe(`body.custom_fields.${name}`);
  expect(problems[0]!.message).toMatch(message);
}

describe('definition input', () => {
  const choices = (n: number) => Array.from({ length: n }, (_, i) => `Choice ${i + 1}`);

  it(`accepts ${MAX_CHOICES} choices and refuses ${MAX_CHOICES + 1}, naming body.choices`, () => {
    const ok = parsePart('body', createCustomFieldInput, { name: 'Region', type: 'list', choices: choices(MAX_CHOICES) });
    expect(ok.choices).toHaveLength(MAX_CHOICES);
    let error: unknown;
    try {
      parsePart('body', createCustomFieldInput, { name: 'Region', type: 'list', choices: choices(MAX_CHOICES + 1) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([{ field: 'body.choices', message: `at most ${MAX_CHOICES} choices` }]);
  });

  it('trims the name and the choices, and refuses empty ones, unknown types and unknown keys', () => {
    expect(createCustomFieldInput.parse({ name: '  Region ', type: 'list', choices: [' North ', 'South'] })).toEqual({
      name: 'Region',
      type: 'list',
      choices: ['North', 'South'],
    });
    const result = createCustomFieldInput.safeParse({ name: ' ', type: 'colour', choices: [''], size: 3 });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['', 'choices.0', 'name', 'type']);
  });

  it('refuses a name with a line break', () => {
    expect(createCustomFieldInput.safeParse({ name: 'Two\nlines', type: 'string' }).success).toBe(false);
  });

  it('needs at least one field in a PATCH and lets choices be null', () => {
    expect(updateCustomFieldInput.safeParse({}).success).toBe(false);
    expect(updateCustomFieldInput.parse({ choices: null })).toEqual({ choices: null });
  });

  it('reads the plural resource type of the path as the singular', () => {
    expect(customFieldResourceParam.parse('deals')).toBe('deal');
    expect(customFieldResourceParam.parse('leads')).toBe('lead');
    expect(customFieldResourceParam.parse('contacts')).toBe('contact');
    expect(customFieldResourceParam.safeParse('deal').success).toBe(false);
  });
});

describe('definitionProblems', () => {
  it.each([
    ['a list without choices', { type: 'list', choices: null, filterable: true }, 'body.choices', /needs its choices/],
    ['a multi-select with no choice', { type: 'multi_select_list', choices: [], filterable: true }, 'body.choices', /needs/],
    ['a string with choices', { type: 'string', choices: ['a'], filterable: true }, 'body.choices', /only list/],
    ['choices repeated ignoring case', { type: 'list', choices: ['Red', 'red'], filterable: true }, 'body.choices', /"red"/],
    ['a filterable address', { type: 'address', choices: null, filterable: true }, 'body.filterable', /address/],
    [
      'too many choices',
      { type: 'list', choices: Array.from({ length: 501 }, (_, i) => `c${i}`), filterable: true },
      'body.choices',
      /at most 500/,
    ],
  ] as const)('refuses %s', (_label, definition, path, message) => {
    const problems = definitionProblems({ ...definition, choices: definition.choices ? [...definition.choices] : null });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe(path);
    expect(problems[0]!.message).toMatch(message);
  });

  it('accepts well-formed definitions of every type', () => {
    for (const d of DEFINITIONS) expect(definitionProblems(d), d.type).toEqual([]);
  });

  it('names removed choices by exact spelling', () => {
    expect(removedChoices(['Red', 'Green', 'Blue'], ['Green', 'red', 'Blue', 'Pink'])).toEqual(['Red']);
    expect(removedChoices(null, ['A'])).toEqual([]);
  });
});

// Limits count characters (code points), as OpenAPI's maxLength and the zod schemas do:
// "𠮷" (U+20BB7) is one character, though two UTF-16 units.
const WIDE = '𠮷';

describe('validateCustomFieldInput: lengths in characters, not UTF-16 units', () => {
  it('string, text and address parts take as many wide characters as narrow ones', () => {
    stores('Title', WIDE.repeat(255), WIDE.repeat(255));
    refuses('Title', WIDE.repeat(256), /at most 255 characters/);
    stores('Notes', WIDE.repeat(65_535), WIDE.repeat(65_535));
    refuses('Notes', WIDE.repeat(65_536), /at most 65535/);
    stores('Office', { city: WIDE.repeat(255) }, { city: WIDE.repeat(255) });
    expect(one('Office', { city: WIDE.repeat(256) }).problems[0]!.message).toMatch(/at most 255 characters/);
  });

  it('URLs and e-mail addresses are measured the same way', () => {
    const host = 'https://例え.jp/';
    stores('Website', host + WIDE.repeat(2048 - host.length), host + WIDE.repeat(2048 - host.length));
    refuses('Website', host + WIDE.repeat(2049 - host.length), /at most 2048 characters/);
  });
});

describe('validateCustomFieldInput: each type', () => {
  it('string: one trimmed line of at most 255 characters', () => {
    stores('Title', '  CFO ', 'CFO');
    stores('Title', 'x'.repeat(255), 'x'.repeat(255));
    refuses('Title', 'x'.repeat(256), /at most 255/);
    refuses('Title', 'two\nlines', /single line/);
    refuses('Title', 42, /single line of text, got a number/);
  });

  it('text: a paragraph of at most 65,535 characters', () => {
    stores('Notes', 'line one\nline two', 'line one\nline two');
    stores('Notes', 'y'.repeat(65_535), 'y'.repeat(65_535));
    refuses('Notes', 'y'.repeat(65_536), /at most 65535/);
    refuses('Notes', ['a'], /text, got a list/);
  });

  it('bool: true or false (also as the strings)', () => {
    stores('VIP', true, true);
    stores('VIP', false, false);
    stores('VIP', 'false', false);
    refuses('VIP', 'yes', /true or false/);
    refuses('VIP', 1, /true or false/);
  });

  it('list: one of the choices, matched ignoring case and stored as spelt in the definition', () => {
    stores('Tier', 'Gold', 'Gold');
    stores('Tier', ' silver ', 'Silver');
    refuses('Tier', 'Platinum', /one of "Gold", "Silver", "Bronze"; got "Platinum"/);
    refuses('Tier', ['Gold'], /got a list/);
  });

  it('list with many choices points to the definition instead of naming them', () => {
    const many = field(20, 'list', 'Country', { choices: Array.from({ length: 60 }, (_, i) => `C${i}`) });
    const { problems } = validateCustomFieldInput([many], { Country: 'Atlantis' }, {});
    expect(problems[0]!.message).toMatch(
      new RegExp(`one of the 60 choices of "Country" \\(GET /custom_fields/deals/${many.id}\\)`),
    );
  });

  it('multi_select_list: distinct choices, stored in the order of the definition', () => {
    stores('Colours', ['blue', 'Red'], ['Red', 'Blue']);
    refuses('Colours', ['Red', 'red'], /twice/);
    refuses('Colours', ['Red', 'Pink'], /"Pink" is not a choice: each must be one of "Red", "Green", "Blue"/);
    refuses('Colours', 'Red', /list of choices/);
    refuses('Colours', [1], /only strings/);
  });

  it('date: a real day as YYYY-MM-DD', () => {
    stores('Signed on', '2031-02-28', '2031-02-28');
    stores('Signed on', '2032-02-29', '2032-02-29');
    refuses('Signed on', '2031-02-29', /real date/);
    refuses('Signed on', '2031-13-01', /real date/);
    refuses('Signed on', '31/01/2031', /real date/);
    refuses('Signed on', '2031-01-01T00:00:00Z', /real date/);
  });

  it('datetime: ISO 8601 with an offset, stored in UTC', () => {
    stores('Call at', '2031-03-04T09:30:00+01:00', '2031-03-04T08:30:00.000Z');
    stores('Call at', '2031-03-04T09:30Z', '2031-03-04T09:30:00.000Z');
    stores('Call at', '2031-03-04T23:30:00.123456-05:00', '2031-03-05T04:30:00.123Z');
    refuses('Call at', '2031-03-04T09:30:00', /with an offset/);
    refuses('Call at', '2031-03-04T25:00:00Z', /real date and time/);
    refuses('Call at', '2031-02-30T10:00:00Z', /real date and time/);
    refuses('Call at', '2031-03-04', /ISO 8601/);
    expect(parseDateTime('2031-03-04T09:30:00+0130')).toBe('2031-03-04T08:00:00.000Z');
  });

  it('number: a finite JSON number or a decimal string, stored as a number', () => {
    stores('Budget', 1250.5, 1250.5);
    stores('Budget', '1250.50', 1250.5);
    stores('Budget', ' -3 ', -3);
    stores('Budget', '1e3', 1000);
    stores('Budget', '123456789012345', 123456789012345);
    refuses('Budget', '1234567890123456', /more than 15 significant digits/);
    refuses('Budget', '12,5', /must be a number/);
    refuses('Budget', 'NaN', /must be a number/);
    refuses('Budget', '1e400', /finite number/);
    refuses('Budget', 1e200, /finite number/);
    refuses('Budget', true, /must be a number/);
  });

  it('email: an address, stored in lower case', () => {
    stores('Billing e-mail', ' Billing@Example.COM ', 'billing@example.com');
    refuses('Billing e-mail', 'billing@', /e-mail address/);
    refuses('Billing e-mail', 'not an address', /e-mail address/);
  });

  it('phone: 3 to 15 digits with the usual punctuation, an optional + and extension', () => {
    stores('Phone', '+44 20 7946 0958', '+44 20 7946 0958');
    stores('Phone', '(555) 010-9999 ext. 12', '(555) 010-9999 ext. 12');
    stores('Phone', '0612345678', '0612345678');
    refuses('Phone', '12', /phone number/);
    refuses('Phone', '+1 555 CALL NOW', /phone number/);
    refuses('Phone', '1234567890123456', /phone number/);
  });

  it('address: any of line1, city, postal_code, state, country', () => {
    stores('Office', { line1: ' 1 Main St ', city: 'Springfield', country: null }, { line1: '1 Main St', city: 'Springfield' });
    const { problems } = one('Office', { line1: 'x', planet: 'Mars', city: 3 });
    expect(problems).toEqual([
      {
        field: 'body.custom_fields.Office.planet',
        message: 'is not a part of an address (line1, city, postal_code, state, country)',
      },
      { field: 'body.custom_fields.Office.city', message: 'must be a string, got a number' },
    ]);
    refuses('Office', 'Springfield', /address object/);
  });

  it('url: http or https', () => {
    stores('Website', 'https://example.com/path?q=1', 'https://example.com/path?q=1');
    stores('Website', 'http://example.com', 'http://example.com');
    refuses('Website', 'ftp://example.com', /http or https/);
    refuses('Website', 'javascript:alert(1)', /http or https/);
    refuses('Website', 'example.com', /http or https/);
  });
});

describe('validateCustomFieldInput: merging and clearing', () => {
  const before: StoredCustomFields = { [F.title.id]: 'CFO', [F.budget.id]: 100, [F.vip.id]: true };

  it('merges a partial input onto what the record holds', () => {
    const { stored, problems } = validateCustomFieldInput(DEFINITIONS, { Budget: 250, Tier: 'Gold' }, before);
    expect(problems).toEqual([]);
    expect(stored).toEqual({ [F.title.id]: 'CFO', [F.budget.id]: 250, [F.vip.id]: true, [F.tier.id]: 'Gold' });
  });

  it('clears with null, with "" and with an empty list or address; false is a value', () => {
    const { stored } = validateCustomFieldInput(
      DEFINITIONS,
      { Title: null, Budget: '', Colours: [], Office: {}, VIP: false },
      {
        ...before,
        [F.colours.id]: ['Red'],
        [F.office.id]: { city: 'Paris' },
      },
    );
    expect(stored).toEqual({ [F.vip.id]: false });
  });

  it('matches names ignoring case, and refuses two spellings of one field', () => {
    expect(validateCustomFieldInput(DEFINITIONS, { budget: 5 }, {}).stored).toEqual({ [F.budget.id]: 5 });
    const { problems } = validateCustomFieldInput(DEFINITIONS, { Budget: 5, BUDGET: 6 }, {});
    expect(problems).toEqual([{ field: 'body.custom_fields.BUDGET', message: 'names the same field as "Budget"' }]);
  });

  it('reports every bad field at once and then keeps the record as it was', () => {
    const { stored, problems } = validateCustomFieldInput(DEFINITIONS, { Budget: 'lots', Size: 3, Title: 'CEO' }, before);
    expect(stored).toEqual(before);
    expect(problems.map((p) => p.field)).toEqual(['body.custom_fields.Budget', 'body.custom_fields.Size']);
    expect(problems[1]!.message).toMatch(/is not a custom field/);
  });

  it('names the known fields of an unknown one when there are few', () => {
    const { problems } = validateCustomFieldInput([F.title, F.budget], { Size: 1 }, {}, 'body.custom_fields');
    expect(problems[0]!.message).toBe('is not a custom field (known: "Title", "Budget"); got "Size"');
    expect(validateCustomFieldInput([], { Size: 1 }, {}).problems[0]!.message).toMatch(/there are none yet/);
  });

  it('uses the prefix it is given', () => {
    const { problems } = validateCustomFieldInput(DEFINITIONS, { Budget: 'x' }, {}, 'body.deals.0.custom_fields');
    expect(problems[0]!.field).toBe('body.deals.0.custom_fields.Budget');
  });

  it('keeps before when there is no input, and refuses an input that is not an object', () => {
    expect(validateCustomFieldInput(DEFINITIONS, undefined, before)).toEqual({ stored: before, problems: [] });
    for (const bad of [null, [], 'x']) {
      const { stored, problems } = validateCustomFieldInput(DEFINITIONS, bad, before);
      expect(stored).toEqual(before);
      expect(problems).toEqual([{ field: 'body.custom_fields', message: expect.stringMatching(/must be an object/) }]);
    }
  });

  it('does not touch before', () => {
    const original = structuredClone(before);
    validateCustomFieldInput(DEFINITIONS, { Budget: null, Title: 'CEO' }, before);
    expect(before).toEqual(original);
  });

  it('carries values of deleted fields over untouched', () => {
    const orphan = testId(99);
    const { stored } = validateCustomFieldInput(DEFINITIONS, { Budget: 1 }, { [orphan]: 'kept' });
    expect(stored).toEqual({ [orphan]: 'kept', [F.budget.id]: 1 });
  });

  it(`refuses to set or clear more than ${MAX_VALUE_CHANGES_PER_WRITE} fields in one write`, () => {
    const many = Array.from({ length: MAX_VALUE_CHANGES_PER_WRITE + 1 }, (_, i) => field(100 + i, 'string', `F${i}`));
    const input = (n: number) => Object.fromEntries(many.slice(0, n).map((d) => [d.name, 'x']));
    expect(validateCustomFieldInput(many, input(MAX_VALUE_CHANGES_PER_WRITE), {}).problems).toEqual([]);
    const { problems } = validateCustomFieldInput(many, input(MAX_VALUE_CHANGES_PER_WRITE + 1), {});
    expect(problems).toEqual([{ field: 'body.custom_fields', message: expect.stringMatching(/at most 50 custom fields/) }]);
  });
});

describe('presentCustomFields', () => {
  const stored: StoredCustomFields = { [F.budget.id]: 100, [F.title.id]: 'CFO', [testId(99)]: 'orphan' };

  it('names values by field, in the order of the definitions, skipping unknown ids', () => {
    expect(Object.entries(presentCustomFields(DEFINITIONS, stored))).toEqual([
      ['Title', 'CFO'],
      ['Budget', 100],
    ]);
    expect(presentCustomFields(DEFINITIONS, undefined)).toEqual({});
  });

  it('shows a renamed field under its new name with the same value', () => {
    const renamed = DEFINITIONS.map((d) => (d.id === F.budget.id ? { ...d, name: 'Budget (EUR)' } : d));
    expect(presentCustomFields(renamed, stored)).toEqual({ Title: 'CFO', 'Budget (EUR)': 100 });
  });

  it('drops the value of a deleted field', () => {
    expect(
      presentCustomFields(
        DEFINITIONS.filter((d) => d.id !== F.title.id),
        stored,
      ),
    ).toEqual({ Budget: 100 });
  });

  it('hands out copies of lists and addresses', () => {
    const held: StoredCustomFields = { [F.colours.id]: ['Red'], [F.office.id]: { city: 'Paris' } };
    const shown = presentCustomFields(DEFINITIONS, held);
    (shown.Colours as string[]).push('Blue');
    (shown.Office as { city: string }).city = 'Lyon';
    expect(held).toEqual({ [F.colours.id]: ['Red'], [F.office.id]: { city: 'Paris' } });
  });
});

describe('valueCountChanges', () => {
  it('+1 where a value appears, -1 where it goes, nothing where it only changes', () => {
    expect(valueCountChanges({ a: 1, b: 'x', c: false }, { a: 2, c: false, d: [] as string[] })).toEqual({ b: -1, d: 1 });
    expect(valueCountChanges({}, {})).toEqual({});
  });
});

describe('customFieldFilter', () => {
  it.each([
    ['Title', 'CFO', 'eq', 'CFO'],
    ['VIP', 'true', 'eq', true],
    ['Tier', 'gold', 'eq', 'Gold'],
    ['Colours', 'blue', 'contains', 'Blue'],
    ['Signed on', '2031-02-28', 'eq', '2031-02-28'],
    ['Call at', '2031-03-04T09:30:00+01:00', 'eq', '2031-03-04T08:30:00.000Z'],
    ['Budget', '1250.50', 'eq', 1250.5],
    ['Billing e-mail', 'Billing@Example.com', 'eq', 'billing@example.com'],
    ['budget', '7', 'eq', 7],
  ] as const)('%s=%s filters %s %s', (name, raw, operator, value) => {
    const definition = DEFINITIONS.find((d) => d.name.toLowerCase() === name.toLowerCase())!;
    expect(customFieldFilter(DEFINITIONS, name, raw)).toEqual({ fieldId: definition.id, operator, value });
  });

  it.each([
    ['Size', '3', /is not a custom field/, 'unknown_field'],
    ['Budget', 'lots', /must be a number/, undefined],
    ['Tier', 'Platinum', /one of "Gold"/, undefined],
    ['Colours', 'Pink', /one of "Red"/, undefined],
    ['Office', 'Paris', /cannot be filtered on|not filterable/, undefined],
    ['Title', ' ', /give a value/, undefined],
  ] as const)('refuses %s=%s', (name, raw, message, code) => {
    let error: unknown;
    try {
      customFieldFilter(DEFINITIONS, name, raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([
      { field: `query.custom_fields[${name}]`, message: expect.stringMatching(message), code },
    ]);
  });

  it('refuses a field that is not filterable', () => {
    const hidden = field(30, 'string', 'Secret', { filterable: false });
    expect(() => customFieldFilter([hidden], 'Secret', 'x')).toThrow(/not filterable/);
  });
});

describe('parseCustomFieldFilters', () => {
  it('finds every custom_fields[...] key and ignores the rest', () => {
    const filters = parseCustomFieldFilters(DEFINITIONS, {
      limit: '10',
      'custom_fields[Tier]': 'Gold',
      'custom_fields[Budget]': '5',
      owner_id: 'x',
    });
    expect(filters).toEqual([
      { fieldId: F.tier.id, operator: 'eq', value: 'Gold' },
      { fieldId: F.budget.id, operator: 'eq', value: 5 },
    ]);
    expect(parseCustomFieldFilters(DEFINITIONS, {})).toEqual([]);
  });

  it('keeps brackets inside a name', () => {
    const sized = field(31, 'number', 'Size [cm]');
    expect(parseCustomFieldFilters([sized], { 'custom_fields[Size [cm]]': '3' })).toEqual([
      { fieldId: sized.id, operator: 'eq', value: 3 },
    ]);
  });

  it('reports every bad filter at once', () => {
    let error: unknown;
    try {
      parseCustomFieldFilters(DEFINITIONS, {
        'custom_fields[Size]': '1',
        'custom_fields[Budget]': 'x',
        'custom_fields[Tier]': 'Gold',
      });
    } catch (e) {
      error = e;
    }
    expect((error as ValidationError).problems.map((p) => p.field)).toEqual([
      'query.custom_fields[Size]',
      'query.custom_fields[Budget]',
    ]);
  });

  it('recognises filter keys', () => {
    expect(isCustomFieldFilterKey('custom_fields[Budget]')).toBe(true);
    expect(isCustomFieldFilterKey('custom_fields[]')).toBe(false);
    expect(isCustomFieldFilterKey('custom_fields')).toBe(false);
  });
});
