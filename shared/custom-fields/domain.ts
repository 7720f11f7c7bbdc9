import * as z from 'zod/mini';
import { charLength } from '#shared/kernel/chars.ts';
import { ValidationError, type FieldProblem } from '#shared/kernel/errors.ts';
import { notEmpty, text } from '#shared/kernel/schema.ts';

// Custom fields of leads, contacts and deals (F6.1, F6.2), with Sell's type names. Records
// store values by field id (a rename keeps them, a deleted field's values vanish from reads);
// clients read and write them by field name, as in Sell. Everything here is pure: the
// definitions come in as arguments (from CustomFieldCatalog), values go out as data.

export const CUSTOM_FIELD_RESOURCES = ['lead', 'contact', 'deal'] as const;
export type CustomFieldResource = (typeof CUSTOM_FIELD_RESOURCES)[number];

export const CUSTOM_FIELD_TYPES = [
  'string',
  'text',
  'bool',
  'list',
  'multi_select_list',
  'date',
  'datetime',
  'number',
  'email',
  'phone',
  'address',
  'url',
] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

export const LIST_TYPES: readonly CustomFieldType[] = ['list', 'multi_select_list'];
export const isListType = (type: CustomFieldType): boolean => LIST_TYPES.includes(type);

export const MAX_CHOICES = 500;
export const MAX_NAME_LENGTH = 255;
export const MAX_STRING_LENGTH = 255;
export const MAX_TEXT_LENGTH = 65_535;
export const MAX_EMAIL_LENGTH = 254;
export const MAX_URL_LENGTH = 2048;
export const MAX_PHONE_LENGTH = 40;
/** Parts of an address value; each optional. */
export const ADDRESS_PARTS = ['line1', 'city', 'postal_code', 'state', 'country'] as const;
/**
 * Custom fields set or cleared by one write: each moves its field's value_count inside the
 * record's own transaction, and a transaction holds at most 100 writes.
 */
export const MAX_VALUE_CHANGES_PER_WRITE = 50;
/** Numbers are kept as numbers; this keeps them inside every store's range (DynamoDB: ~1e126). */
export const MAX_NUMBER_MAGNITUDE = 1e125;
/** Decimal strings with more significant digits would not survive as a number exactly. */
export const MAX_NUMBER_DIGITS = 15;
/** Problems list the allowed choices when there are at most this many. */
const CHOICES_NAMED_UP_TO = 10;

export type CustomFieldAddress = Partial<Record<(typeof ADDRESS_PARTS)[number], string>>;
/**
 * A stored value: string (string, text, list, date, datetime as UTC ISO, email, phone, url),
 * boolean (bool), number (number), string[] (multi_select_list, in the order of the choices),
 * or an address.
 */
export type CustomFieldValue = string | number | boolean | string[] | CustomFieldAddress;

/** What records store: values by field id. */
export type StoredCustomFields = Record<string, CustomFieldValue>;

/**
 * The `custom_fields` of a record: values by field id as stored, by field name as the API
 * shows them. Each value is checked against its definition (validateCustomFieldInput), not
 * by this schema, which only gives the type.
 */
export const customFieldValuesSchema = z.record(z.string(), z.custom<CustomFieldValue>());

// ---- Definitions: schemas and rules --------------------------------------------------------

/** A custom field's definition, as stored and as the API shows it. */
export const customFieldSchema = z.object({
  id: z.string(),
  resource_type: z.enum(CUSTOM_FIELD_RESOURCES),
  name: z.string(),
  type: z.enum(CUSTOM_FIELD_TYPES),
  /** The allowed values of list and multi_select_list fields, in display order; null otherwise. */
  choices: z.nullable(z.array(z.string())),
  /** Whether lists may filter on it (`custom_fields[<name>]=<value>`). */
  filterable: z.boolean(),
  /** How many records hold a value (kept by the record writes, in their transactions). */
  value_count: z.int(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type CustomFieldDefinition = z.output<typeof customFieldSchema>;

const nameSchema = text(MAX_NAME_LENGTH).check(
  // eslint-disable-next-line no-control-regex
  z.regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters such as line breaks'),
);

const choicesSchema = z
  .array(text(MAX_STRING_LENGTH))
  .check(z.minLength(1, 'give at least one choice'), z.maxLength(MAX_CHOICES, `at most ${MAX_CHOICES} choices`));

export const createCustomFieldInput = z.strictObject({
  name: nameSchema,
  type: z.enum(CUSTOM_FIELD_TYPES),
  choices: z.optional(choicesSchema),
  filterable: z.optional(z.boolean()),
});
export type CreateCustomFieldInput = z.output<typeof createCustomFieldInput>;

export const updateCustomFieldInput = z
  .strictObject({
    name: z.optional(nameSchema),
    type: z.optional(z.enum(CUSTOM_FIELD_TYPES)),
    /** null drops the choices (when the field stops being a list). */
    choices: z.optional(z.nullable(choicesSchema)),
    filterable: z.optional(z.boolean()),
  })
  .check(notEmpty);
export type UpdateCustomFieldInput = z.output<typeof updateCustomFieldInput>;

/**
 * The rules between a definition's fields, checked on the definition as it would be saved
 * (after a PATCH is merged): choices for list types only, distinct, and no filter on addresses.
 */
export function definitionProblems(
  definition: Pick<CustomFieldDefinition, 'type' | 'choices' | 'filterable'>,
  prefix = 'body',
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { type, choices } = definition;
  if (isListType(type)) {
    if (!choices || choices.length === 0) {
      problems.push({ field: `${prefix}.choices`, message: `a ${type} field needs its choices (1 to ${MAX_CHOICES})` });
    } else if (choices.length > MAX_CHOICES) {
      problems.push({ field: `${prefix}.choices`, message: `at most ${MAX_CHOICES} choices` });
    } else {
      const seen = new Set<string>();
      const repeated = choices.filter((c) => {
        const key = c.trim().toLowerCase();
        if (seen.has(key)) return true;
        seen.add(key);
        return false;
      });
      if (repeated.length > 0) {
        problems.push({
          field: `${prefix}.choices`,
          message: `choices must be distinct (ignoring case): ${quoteList([...new Set(repeated)])} given twice`,
        });
      }
    }
  } else if (choices !== null && choices !== undefined) {
    problems.push({ field: `${prefix}.choices`, message: `only list and multi_select_list fields have choices, not ${type}` });
  }
  if (type === 'address' && definition.filterable) {
    problems.push({ field: `${prefix}.filterable`, message: 'address fields cannot be filtered on' });
  }
  return problems;
}

/** Filterable unless said otherwise; addresses never. */
export function defaultFilterable(type: CustomFieldType): boolean {
  return type !== 'address';
}

/** Choices of `before` that `after` no longer has (exact spelling: stored values use it). */
export function removedChoices(before: readonly string[] | null, after: readonly string[] | null): string[] {
  const kept = new Set(after ?? []);
  return (before ?? []).filter((c) => !kept.has(c));
}

/** Names compare ignoring case and surrounding spaces (one name per resource type). */
export function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

// ---- Values -----------------------------------------------------------------------------------

type Coerced = { value: CustomFieldValue } | { clear: true } | { problem: string };

const CLEAR: Coerced = { clear: true };
const problem = (message: string): Coerced => ({ problem: message });

function quoteList(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function choicesHint(definition: CustomFieldDefinition): string {
  const choices = definition.choices ?? [];
  return choices.length <= CHOICES_NAMED_UP_TO
    ? `one of ${quoteList(choices)}`
    : `one of the ${choices.length} choices of "${definition.name}" (GET /custom_fields/${definition.resource_type}s/${definition.id})`;
}

function matchChoice(definition: CustomFieldDefinition, raw: string): string | undefined {
  const wanted = raw.trim();
  const choices = definition.choices ?? [];
  return choices.find((c) => c === wanted) ?? choices.find((c) => c.toLowerCase() === wanted.toLowerCase());
}

/** Text types: a string, trimmed; empty means no value (forms and CSV imports send ""). */
function textOf(raw: unknown, label: string): { text: string } | Coerced {
  if (typeof raw !== 'string') return problem(`must be ${label}, got ${describe(raw)}`);
  const trimmed = raw.trim();
  return trimmed === '' ? CLEAR : { text: trimmed };
}

function describe(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'a list';
  if (typeof raw === 'object') return 'an object';
  if (typeof raw === 'string') return 'a string';
  if (typeof raw === 'number') return 'a number';
  if (typeof raw === 'boolean') return 'true/false';
  return typeof raw;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const PHONE = /^\+?[0-9(][0-9 ().\-/]*(?:\s*(?:ext\.?|x|#)\s*\d{1,6})?$/i;

function isRealDate(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** YYYY-MM-DD naming a day that exists. */
export function parseDate(raw: string): string | undefined {
  const m = DATE.exec(raw);
  if (!m) return undefined;
  return isRealDate(Number(m[1]), Number(m[2]), Number(m[3])) ? raw : undefined;
}

/** ISO 8601 date and time with an offset (or Z), normalised to UTC: `2031-03-04T08:00:00.000Z`. */
export function parseDateTime(raw: string): string | undefined {
  const m = DATETIME.exec(raw);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const second = Number(m[6] ?? 0);
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  if (!isRealDate(year!, month!, day!) || hour! > 23 || minute! > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 18 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const utc = Date.UTC(year!, month! - 1, day!, hour!, minute!, second, ms) - offsetMinutes * 60_000;
  const date = new Date(utc);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A finite number, or a decimal string that converts to one exactly; or why not. */
export function parseNumber(raw: unknown): { value: number } | { problem: string } {
  let value: number;
  if (typeof raw === 'number') {
    value = raw;
  } else if (typeof raw === 'string' && DECIMAL.test(raw.trim())) {
    const mantissa = raw
      .trim()
      .replace(/^[+-]/, '')
      .replace(/[eE].*$/, '')
      .replace('.', '');
    const significant = mantissa.replace(/^0+/, '').replace(/0+$/, '');
    if (significant.length > MAX_NUMBER_DIGITS) {
      return { problem: `has more than ${MAX_NUMBER_DIGITS} significant digits and would not be kept exactly` };
    }
    value = Number(raw.trim());
    if (value === 0 && significant.length > 0) return { problem: 'is too small to keep' };
  } else {
    return { problem: `must be a number (or a decimal string such as "12.50"), got ${describe(raw)}` };
  }
  if (!Number.isFinite(value) || Math.abs(value) > MAX_NUMBER_MAGNITUDE) {
    return { problem: `must be a finite number between -${MAX_NUMBER_MAGNITUDE} and ${MAX_NUMBER_MAGNITUDE}` };
  }
  return { value: value === 0 ? 0 : value };
}

function parseUrl(raw: string): string | undefined {
  if (charLength(raw) > MAX_URL_LENGTH) return undefined;
  try {
    const url = new URL(raw);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' ? raw : undefined;
  } catch {
    return undefined;
  }
}

function isPhone(raw: string): boolean {
  if (charLength(raw) > MAX_PHONE_LENGTH || !PHONE.test(raw)) return false;
  const main = raw.replace(/\s*(?:ext\.?|x|#)\s*\d{1,6}$/i, '');
  const digits = main.replace(/\D/g, '').length;
  return digits >= 3 && digits <= 15;
}

function coerceAddress(raw: unknown): Coerced | { partProblems: FieldProblem[]; value?: CustomFieldAddress } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return problem(`must be an address object with any of ${ADDRESS_PARTS.join(', ')}, got ${describe(raw)}`);
  }
  const address: CustomFieldAddress = {};
  const partProblems: FieldProblem[] = [];
  for (const [part, value] of Object.entries(raw)) {
    if (!(ADDRESS_PARTS as readonly string[]).includes(part)) {
      partProblems.push({ field: part, message: `is not a part of an address (${ADDRESS_PARTS.join(', ')})` });
      continue;
    }
    if (value === null) continue;
    if (typeof value !== 'string') {
      partProblems.push({ field: part, message: `must be a string, got ${describe(value)}` });
      continue;
    }
    const trimmed = value.trim();
    if (charLength(trimmed) > MAX_STRING_LENGTH) {
      partProblems.push({ field: part, message: `must be at most ${MAX_STRING_LENGTH} characters` });
    } else if (trimmed !== '') {
      address[part as keyof CustomFieldAddress] = trimmed;
    }
  }
  if (partProblems.length > 0) return { partProblems };
  return Object.keys(address).length === 0 ? CLEAR : { value: address };
}

/** One value against its definition: the value to store, "clear", or why not. */
function coerce(definition: CustomFieldDefinition, raw: unknown): Coerced | { partProblems: FieldProblem[] } {
  switch (definition.type) {
    case 'string': {
      const t = textOf(raw, 'a single line of text');
      if (!('text' in t)) return t;
      if (/[\r\n]/.test(t.text)) return problem('must be a single line (use a text field for paragraphs)');
      return charLength(t.text) > MAX_STRING_LENGTH
        ? problem(`must be at most ${MAX_STRING_LENGTH} characters`)
        : { value: t.text };
    }
    case 'text': {
      const t = textOf(raw, 'text');
      if (!('text' in t)) return t;
      return charLength(t.text) > MAX_TEXT_LENGTH ? problem(`must be at most ${MAX_TEXT_LENGTH} characters`) : { value: t.text };
    }
    case 'bool':
      if (typeof raw === 'boolean') return { value: raw };
      if (raw === 'true' || raw === 'false') return { value: raw === 'true' };
      return problem(`must be true or false, got ${describe(raw)}`);
    case 'list': {
      const t = textOf(raw, choicesHint(definition));
      if (!('text' in t)) return t;
      const choice = matchChoice(definition, t.text);
      return choice === undefined
        ? problem(`must be ${choicesHint(definition)}; got ${JSON.stringify(t.text)}`)
        : { value: choice };
    }
    case 'multi_select_list': {
      if (!Array.isArray(raw)) return problem(`must be a list of choices, each ${choicesHint(definition)}; got ${describe(raw)}`);
      if (raw.length === 0) return CLEAR;
      const picked = new Set<string>();
      for (const item of raw) {
        if (typeof item !== 'string') return problem(`must hold only strings, got ${describe(item)}`);
        const choice = matchChoice(definition, item);
        if (choice === undefined)
          return problem(`${JSON.stringify(item)} is not a choice: each must be ${choicesHint(definition)}`);
        if (picked.has(choice)) return problem(`names ${JSON.stringify(choice)} twice`);
        picked.add(choice);
      }
      return { value: (definition.choices ?? []).filter((c) => picked.has(c)) };
    }
    case 'date': {
      const t = textOf(raw, 'a date (YYYY-MM-DD)');
      if (!('text' in t)) return t;
      const date = parseDate(t.text);
      return date === undefined ? problem(`must be a real date as YYYY-MM-DD, got ${JSON.stringify(t.text)}`) : { value: date };
    }
    case 'datetime': {
      const t = textOf(raw, 'a date and time (ISO 8601 with an offset)');
      if (!('text' in t)) return t;
      const at = parseDateTime(t.text);
      return at === undefined
        ? problem(
            `must be a real date and time in ISO 8601 with an offset, e.g. "2031-03-04T09:30:00+01:00"; got ${JSON.stringify(t.text)}`,
          )
        : { value: at };
    }
    case 'number': {
      if (typeof raw === 'string' && raw.trim() === '') return CLEAR;
      const n = parseNumber(raw);
      return 'value' in n ? n : problem(n.problem);
    }
    case 'email': {
      const t = textOf(raw, 'an e-mail address');
      if (!('text' in t)) return t;
      return charLength(t.text) <= MAX_EMAIL_LENGTH && z.regexes.email.test(t.text)
        ? { value: t.text.toLowerCase() }
        : problem(`must be an e-mail address, got ${JSON.stringify(t.text)}`);
    }
    case 'phone': {
      const t = textOf(raw, 'a phone number');
      if (!('text' in t)) return t;
      return isPhone(t.text)
        ? { value: t.text }
        : problem(
            `must be a phone number (3 to 15 digits, an optional leading +, spaces ( ) - . / and an optional extension); got ${JSON.stringify(t.text)}`,
          );
    }
    case 'url': {
      const t = textOf(raw, 'a URL');
      if (!('text' in t)) return t;
      const url = parseUrl(t.text);
      return url === undefined
        ? problem(`must be an http or https URL of at most ${MAX_URL_LENGTH} characters, got ${JSON.stringify(t.text)}`)
        : { value: url };
    }
    case 'address':
      return coerceAddress(raw);
  }
}

/** Definitions by name, exact spelling first, then ignoring case (names are unique ignoring case). */
function nameIndex(definitions: readonly CustomFieldDefinition[]) {
  const exact = new Map(definitions.map((d) => [d.name, d]));
  const folded = new Map(definitions.map((d) => [d.name.toLowerCase(), d]));
  return (name: string) => exact.get(name) ?? folded.get(name.trim().toLowerCase());
}

function unknownFieldMessage(definitions: readonly CustomFieldDefinition[], name: string): string {
  const names = definitions.map((d) => d.name);
  const known =
    names.length === 0
      ? 'there are none yet'
      : names.length <= CHOICES_NAMED_UP_TO
        ? `known: ${quoteList(names)}`
        : `${names.length} known: GET /custom_fields/${definitions[0]!.resource_type}s`;
  return `is not a custom field (${known}); got ${JSON.stringify(name)}`;
}

/**
 * Validates `custom_fields` from a request body (keyed by field name, Sell style; null or ""
 * clears a value) and merges it onto what the record stores (`before`, keyed by id): a PATCH
 * names only the fields it changes. Values of fields that no longer exist stay as they are
 * (no one can address them, and reads skip them). `input` undefined keeps `before`.
 */
export function validateCustomFieldInput(
  definitions: readonly CustomFieldDefinition[],
  input: unknown,
  before: StoredCustomFields = {},
  fieldPrefix = 'body.custom_fields',
): { stored: StoredCustomFields; problems: FieldProblem[] } {
  const stored: StoredCustomFields = { ...before };
  if (input === undefined) return { stored, problems: [] };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      stored: { ...before },
      problems: [{ field: fieldPrefix, message: `must be an object of values by custom field name, got ${describe(input)}` }],
    };
  }
  const byName = nameIndex(definitions);
  const problems: FieldProblem[] = [];
  const named = new Map<string, string>();
  for (const [name, raw] of Object.entries(input)) {
    const field = `${fieldPrefix}.${name}`;
    const definition = byName(name);
    if (!definition) {
      problems.push({ field, message: unknownFieldMessage(definitions, name) });
      continue;
    }
    const earlier = named.get(definition.id);
    if (earlier !== undefined) {
      problems.push({ field, message: `names the same field as ${JSON.stringify(earlier)}` });
      continue;
    }
    named.set(definition.id, name);
    if (raw === null) {
      delete stored[definition.id];
      continue;
    }
    const result = coerce(definition, raw);
    if ('partProblems' in result) {
      problems.push(...result.partProblems.map((p) => ({ field: `${field}.${p.field}`, message: p.message })));
    } else if ('problem' in result) {
      problems.push({ field, message: result.problem });
    } else if ('clear' in result) {
      delete stored[definition.id];
    } else {
      stored[definition.id] = result.value;
    }
  }
  if (problems.length === 0) {
    const changes = Object.keys(valueCountChanges(before, stored)).length;
    if (changes > MAX_VALUE_CHANGES_PER_WRITE) {
      problems.push({
        field: fieldPrefix,
        message: `set or clear at most ${MAX_VALUE_CHANGES_PER_WRITE} custom fields in one request (this one changes ${changes})`,
      });
    }
  }
  return problems.length > 0 ? { stored: { ...before }, problems } : { stored, problems };
}

/** Values by field name for a reply, in the order of the definitions; unknown ids are skipped. */
export function presentCustomFields(
  definitions: readonly CustomFieldDefinition[],
  stored: StoredCustomFields | undefined,
): Record<string, CustomFieldValue> {
  const out: Record<string, CustomFieldValue> = {};
  if (!stored) return out;
  for (const definition of definitions) {
    const value = stored[definition.id];
    if (value === undefined) continue;
    out[definition.name] = Array.isArray(value) ? [...value] : typeof value === 'object' ? { ...value } : value;
  }
  return out;
}

/** Moves of each field's value_count: +1 where a value appears, −1 where it goes; zeros left out. */
export function valueCountChanges(before: StoredCustomFields, after: StoredCustomFields): Record<string, number> {
  const changes: Record<string, number> = {};
  for (const id of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const delta = Number(after[id] !== undefined) - Number(before[id] !== undefined);
    if (delta !== 0) changes[id] = delta;
  }
  return changes;
}

// ---- Filters ------------------------------------------------------------------------------

export interface CustomFieldFilter {
  fieldId: string;
  /** "contains" for multi_select_list (the record's list holds the choice); "eq" otherwise. */
  operator: 'eq' | 'contains';
  /** The value as stored, so that the store compares like with like. */
  value: string | number | boolean;
}

const FILTER_KEY = /^custom_fields\[(.+)\]$/;

/**
 * A list filter `custom_fields[<name>]=<raw>` as a condition on the stored values. Refuses
 * (ValidationError naming `<prefix>.custom_fields[<name>]`) unknown and non-filterable fields
 * and values the field could not hold.
 */
export function customFieldFilter(
  definitions: readonly CustomFieldDefinition[],
  name: string,
  raw: string,
  fieldPrefix = 'query',
): CustomFieldFilter {
  const field = `${fieldPrefix}.custom_fields[${name}]`;
  const definition = nameIndex(definitions)(name);
  if (!definition) throw ValidationError.field(field, unknownFieldMessage(definitions, name), { fieldCode: 'unknown_field' });
  if (!definition.filterable) throw ValidationError.field(field, `"${definition.name}" is not filterable`);
  if (raw.trim() === '') throw ValidationError.field(field, 'give a value to filter on');
  if (definition.type === 'multi_select_list') {
    const choice = matchChoice(definition, raw);
    if (choice === undefined) throw ValidationError.field(field, `must be ${choicesHint(definition)}`);
    return { fieldId: definition.id, operator: 'contains', value: choice };
  }
  const result = coerce(definition, raw);
  if ('problem' in result) throw ValidationError.field(field, result.problem);
  if (!('value' in result) || typeof result.value === 'object') {
    throw ValidationError.field(field, `${definition.type} fields cannot be filtered on`);
  }
  return { fieldId: definition.id, operator: 'eq', value: result.value };
}

/** Every `custom_fields[<name>]` key of a query string as a filter; all problems at once. */
export function parseCustomFieldFilters(
  definitions: readonly CustomFieldDefinition[],
  query: Record<string, unknown>,
  fieldPrefix = 'query',
): CustomFieldFilter[] {
  const filters: CustomFieldFilter[] = [];
  const problems: FieldProblem[] = [];
  for (const [key, raw] of Object.entries(query)) {
    const name = FILTER_KEY.exec(key)?.[1];
    if (name === undefined) continue;
    if (typeof raw !== 'string') {
      problems.push({ field: `${fieldPrefix}.${key}`, message: 'must be a single value' });
      continue;
    }
    try {
      filters.push(customFieldFilter(definitions, name, raw, fieldPrefix));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return filters;
}

/** Whether a query-string key is a custom field filter (for list schemas that pass them on). */
export function isCustomFieldFilterKey(key: string): boolean {
  return FILTER_KEY.test(key);
}
