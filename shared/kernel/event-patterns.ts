// EventBridge event-pattern matching: the local bus's, the notifications consumer's (users'
// notification rules compile to patterns), and validation of the patterns in admins'
// automation rules. Pure, so the kernel holds it and every layer may use it. The semantics follow aws/event-ruler, the engine EventBridge runs:
// the event is flattened into (dotted name, leaf value, array positions) fields and each rule
// branch looks for one field per pattern key, keeping array positions consistent.
// No dependencies: the local cloud runs it in-process and the config loader runs it before deploy.

type Leaf = string | number | boolean | null;
type OneOrMany = string | readonly string[];
type IgnoreCase = { readonly 'equals-ignore-case': string };
type NumericOperator = '=' | '<' | '<=' | '>' | '>=';

export type NumericCondition = readonly [NumericOperator, number] | readonly ['>' | '>=', number, '<' | '<=', number];

export type AnythingBut =
  | string
  | number
  | readonly string[]
  | readonly number[]
  | { readonly prefix: OneOrMany }
  | { readonly suffix: OneOrMany }
  | { readonly wildcard: OneOrMany }
  | { readonly 'equals-ignore-case': OneOrMany };

export type MatchExpression =
  | { readonly prefix: string | IgnoreCase }
  | { readonly suffix: string | IgnoreCase }
  | { readonly 'equals-ignore-case': string }
  | { readonly wildcard: string }
  | { readonly 'anything-but': AnythingBut }
  | { readonly numeric: NumericCondition }
  | { readonly exists: boolean }
  | { readonly cidr: string };

export type MatchValue = Leaf | MatchExpression;

/** A field maps to allowed values (OR), a nested pattern, or, under "$or", alternative patterns. */
export interface EventPattern {
  readonly [field: string]: readonly MatchValue[] | EventPattern | readonly EventPattern[];
}

/** Thrown by `matchesPattern` for a pattern EventBridge would reject. */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid event pattern: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** True when `event` matches `pattern`, as EventBridge would decide. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  const { branches, problems } = compilePattern(pattern);
  if (problems.length > 0) throw new InvalidEventPatternError(problems);
  if (!isPlainObject(event)) return false;
  const fields = flattenEvent(event);
  return branches.some((branch) => matchesBranch(branch, fields));
}

/** Every reason EventBridge would reject `pattern`, each prefixed by its JSON path; empty when valid. */
export function validatePattern(pattern: unknown): string[] {
  return compilePattern(pattern).problems;
}

// ---------------------------------------------------------------------------------------------
// Compiling: a pattern becomes branches (one per combination of "$or" alternatives), each a list
// of constraints on one flattened field name. Validation is the same walk, so the two never drift.

type ValueTest = (value: Leaf) => boolean;

/** One entry of a field's value list: a test on a present value, or `{"exists": false}`. */
type Matcher = { readonly kind: 'value'; readonly test: ValueTest } | { readonly kind: 'absent' };

interface FieldConstraint {
  readonly name: string;
  readonly tests: readonly ValueTest[];
  readonly matchesAbsent: boolean;
}

type Branch = readonly FieldConstraint[];

interface Compilation {
  readonly branches: readonly Branch[];
  readonly problems: string[];
}

const OR_KEY = '$or';

// event-ruler refuses these as field names inside "$or", where they would be ambiguous.
const RESERVED_IN_OR = new Set(
  [
    'exactly equals-ignore-case prefix suffix anything-but exists wildcard numeric cidr = < <= > >= regex',
    'not-wildcard not-equals-ignore-case date-after date-on-or-after date-before date-on-or-before',
    'in-date-range ip-address-in-range ip-address-not-in-range',
  ].flatMap((words) => words.split(' ')),
);

function compilePattern(pattern: unknown): Compilation {
  const problems: string[] = [];
  if (!isPlainObject(pattern)) {
    problems.push('$: an event pattern must be a JSON object');
    return { branches: [], problems };
  }
  const branches = compileObject(pattern, { path: '$', names: [], insideOr: false }, problems);
  // event-ruler walks a branch's keys in lexical order; that order decides which array element an
  // `exists: false` is checked against, so keep it.
  const sorted = branches.map((branch) => [...branch].sort((a, b) => compareStrings(a.name, b.name)));
  return { branches: sorted, problems };
}

interface Location {
  readonly path: string;
  readonly names: readonly string[];
  readonly insideOr: boolean;
}

function compileObject(node: Record<string, unknown>, at: Location, problems: string[]): Branch[] {
  const entries = Object.entries(node);
  if (entries.length === 0) problems.push(`${at.path}: empty objects are not allowed`);
  let branches: Branch[] = [[]];
  for (const [key, value] of entries) {
    const path = childPath(at.path, key);
    if (key === OR_KEY) {
      branches = crossProduct(branches, compileOr(value, { ...at, path }, problems));
      continue;
    }
    if (at.insideOr && RESERVED_IN_OR.has(key)) {
      problems.push(`${path}: "${key}" is a reserved word and cannot be a field name inside "$or"`);
    }
    const names = [...at.names, key];
    if (isPlainObject(value)) {
      branches = crossProduct(branches, compileObject(value, { path, names, insideOr: at.insideOr }, problems));
    } else if (Array.isArray(value)) {
      const constraint = compileValueList(value, names.join('.'), path, problems);
      branches = branches.map((branch) => [...branch, constraint]);
    } else {
      problems.push(`${path}: must be an object or an array of values`);
    }
  }
  return branches;
}

function compileOr(value: unknown, at: Location, problems: string[]): Branch[] {
  if (!Array.isArray(value) || value.length < 2) {
    problems.push(`${at.path}: "$or" must be an array of at least 2 patterns`);
    return [];
  }
  return value.flatMap((alternative, index) => {
    const path = `${at.path}[${index}]`;
    if (!isPlainObject(alternative)) {
      problems.push(`${path}: each "$or" alternative must be an object`);
      return [];
    }
    return compileObject(alternative, { path, names: at.names, insideOr: true }, problems);
  });
}

function compileValueList(values: readonly unknown[], name: string, path: string, problems: string[]): FieldConstraint {
  if (values.length === 0) problems.push(`${path}: empty arrays are not allowed`);
  const matchers = values.flatMap((value, index) => compileMatchValue(value, `${path}[${index}]`, problems) ?? []);
  return {
    name,
    tests: matchers.flatMap((m) => (m.kind === 'value' ? [m.test] : [])),
    matchesAbsent: matchers.some((m) => m.kind === 'absent'),
  };
}

function compileMatchValue(value: unknown, path: string, problems: string[]): Matcher | undefined {
  if (typeof value === 'string') return valueMatcher(exactString(value));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return valueMatcher((v) => v === value);
  }
  if (!isPlainObject(value)) {
    return fail(problems, `${path}: a value must be a string, number, boolean, null or an operator object`);
  }
  const keys = Object.keys(value);
  const [operator] = keys;
  if (keys.length !== 1 || operator === undefined) {
    return fail(problems, `${path}: an operator object must have exactly one key, found ${keys.length}`);
  }
  const compile = OPERATORS.get(operator);
  if (!compile) return fail(problems, `${path}: unknown operator "${operator}"`);
  return compile(value[operator], childPath(path, operator), problems);
}

function valueMatcher(test: ValueTest): Matcher {
  return { kind: 'value', test };
}

// A string that is an IP address matches the same address however it is written, as in event-ruler.
function exactString(expected: string): ValueTest {
  const address = parseIp(expected);
  if (!address) return (v) => v === expected;
  return (v) => v === expected || (typeof v === 'string' && sameBytes(parseIp(v), address));
}

// ---------------------------------------------------------------------------------------------
// Operators. Each validates its operand and returns the matcher, or records problems.

type OperatorCompiler = (operand: unknown, path: string, problems: string[]) => Matcher | undefined;

const OPERATORS = new Map<string, OperatorCompiler>([
  ['prefix', (operand, path, problems) => compileAffix('prefix', operand, path, problems)],
  ['suffix', (operand, path, problems) => compileAffix('suffix', operand, path, problems)],
  ['equals-ignore-case', compileEqualsIgnoreCase],
  ['wildcard', compileWildcard],
  ['anything-but', compileAnythingBut],
  ['numeric', compileNumeric],
  ['exists', compileExists],
  ['cidr', compileCidr],
]);

type Affix = 'prefix' | 'suffix';

const affixTests: Record<Affix, (value: string, affix: string) => boolean> = {
  prefix: (value, affix) => value.startsWith(affix),
  suffix: (value, affix) => value.endsWith(affix),
};

function compileAffix(kind: Affix, operand: unknown, path: string, problems: string[]): Matcher | undefined {
  const hasAffix = affixTests[kind];
  if (typeof operand === 'string') return valueMatcher((v) => typeof v === 'string' && hasAffix(v, operand));
  const ignoringCase = isPlainObject(operand) ? onlyEntry(operand, 'equals-ignore-case') : undefined;
  if (typeof ignoringCase === 'string') {
    const folded = foldCase(ignoringCase);
    return valueMatcher((v) => typeof v === 'string' && hasAffix(foldCase(v), folded));
  }
  return fail(problems, `${path}: ${kind} must be a string or {"equals-ignore-case": string}`);
}

function compileEqualsIgnoreCase(operand: unknown, path: string, problems: string[]): Matcher | undefined {
  if (typeof operand !== 'string') return fail(problems, `${path}: equals-ignore-case must be a string`);
  const equals = equalsIgnoringCase(operand);
  return valueMatcher((v) => typeof v === 'string' && equals(v));
}

function equalsIgnoringCase(expected: string): (value: string) => boolean {
  const folded = foldCase(expected);
  return (value) => foldCase(value) === folded;
}

function compileWildcard(operand: unknown, path: string, problems: string[]): Matcher | undefined {
  const test = wildcardTest(operand, path, problems);
  return test && valueMatcher((v) => typeof v === 'string' && test(v));
}

function compileExists(operand: unknown, path: string, problems: string[]): Matcher | undefined {
  if (typeof operand !== 'boolean') return fail(problems, `${path}: exists must be true or false`);
  // A present value is always a leaf: objects and empty arrays never become fields.
  return operand ? valueMatcher(() => true) : { kind: 'absent' };
}

// anything-but needs the field to be present; any present value that is not excluded matches,
// whatever its type (a null or a number is "anything but" a string prefix).
function compileAnythingBut(operand: unknown, path: string, problems: string[]): Matcher | undefined {
  if (typeof operand === 'string' || typeof operand === 'number') return valueMatcher((v) => v !== operand);
  if (Array.isArray(operand)) {
    const excluded = anythingButList(operand, path, problems);
    return excluded && valueMatcher((v) => !excluded.includes(v));
  }
  if (isPlainObject(operand)) {
    const excludes = anythingButStringTest(operand, path, problems);
    return excludes && valueMatcher((v) => typeof v !== 'string' || !excludes(v));
  }
  return fail(problems, `${path}: anything-but must be a string, a number, a list of either, or an operator object`);
}

function anythingButList(values: readonly unknown[], path: string, problems: string[]): readonly Leaf[] | undefined {
  const sameType = values.every((v) => typeof v === 'string') || values.every((v) => typeof v === 'number');
  if (values.length > 0 && sameType) return values;
  return fail(problems, `${path}: anything-but list must be non-empty and all strings or all numbers`);
}

type StringTest = (value: string) => boolean;
type StringTestCompiler = (text: string, path: string, problems: string[]) => StringTest | undefined;

const ANYTHING_BUT_OPERATORS = new Map<string, StringTestCompiler>([
  ['prefix', (text, path, problems) => nonEmpty(text, path, problems) && ((v) => v.startsWith(text))],
  ['suffix', (text, path, problems) => nonEmpty(text, path, problems) && ((v) => v.endsWith(text))],
  ['equals-ignore-case', (text) => equalsIgnoringCase(text)],
  ['wildcard', wildcardTest],
]);

/** The excluded strings of {"anything-but": {"prefix" | "suffix" | "wildcard" | "equals-ignore-case": ...}}. */
function anythingButStringTest(operand: Record<string, unknown>, path: string, problems: string[]): StringTest | undefined {
  const [operator, ...others] = Object.keys(operand);
  const compileOne = operator === undefined ? undefined : ANYTHING_BUT_OPERATORS.get(operator);
  if (operator === undefined || !compileOne || others.length > 0) {
    return fail(problems, `${path}: anything-but takes exactly one of prefix, suffix, wildcard or equals-ignore-case`);
  }
  const texts = stringOrStrings(operand[operator], childPath(path, operator), problems);
  const tests = texts?.map(({ text, at }) => compileOne(text, at, problems));
  if (!tests?.every((test) => test !== undefined)) return undefined;
  return (v) => tests.some((test) => test(v));
}

function stringOrStrings(value: unknown, path: string, problems: string[]): { text: string; at: string }[] | undefined {
  if (typeof value === 'string') return [{ text: value, at: path }];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
    return value.map((text: string, i) => ({ text, at: `${path}[${i}]` }));
  }
  return fail(problems, `${path}: must be a string or a non-empty list of strings`);
}

function nonEmpty(text: string, path: string, problems: string[]): true | undefined {
  return text === '' ? fail(problems, `${path}: an empty prefix or suffix is not allowed in anything-but`) : true;
}

// ---------------------------------------------------------------------------------------------
// numeric: ["=", 5], ["<", 10], [">", 0, "<=", 5]. Only JSON numbers match, never numeric strings.

const COMPARISONS: Record<NumericOperator, (value: number, bound: number) => boolean> = {
  '=': (value, bound) => value === bound,
  '<': (value, bound) => value < bound,
  '<=': (value, bound) => value <= bound,
  '>': (value, bound) => value > bound,
  '>=': (value, bound) => value >= bound,
};

type Comparison = readonly [NumericOperator, number];

function compileNumeric(operand: unknown, path: string, problems: string[]): Matcher | undefined {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    return fail(problems, `${path}: numeric must be [operator, number] or [">" or ">=", number, "<" or "<=", number]`);
  }
  const comparisons: Comparison[] = [];
  for (let index = 0; index < operand.length; index += 2) {
    const parsed = comparison(operand, index, path, problems);
    if (!parsed) return undefined;
    comparisons.push(parsed);
  }
  if (comparisons.length === 2 && !isRange(comparisons, path, problems)) return undefined;
  return valueMatcher((v) => typeof v === 'number' && comparisons.every(([op, bound]) => COMPARISONS[op](v, bound)));
}

function comparison(operand: readonly unknown[], index: number, path: string, problems: string[]): Comparison | undefined {
  const operator = operand[index];
  const bound = operand[index + 1];
  if (!isNumericOperator(operator)) {
    return fail(problems, `${path}[${index}]: unknown numeric operator ${JSON.stringify(operator)} (use =, <, <=, >, >=)`);
  }
  if (typeof bound !== 'number' || !Number.isFinite(bound)) {
    return fail(problems, `${path}[${index + 1}]: the value after "${operator}" must be a number`);
  }
  return [operator, bound];
}

function isNumericOperator(value: unknown): value is NumericOperator {
  return typeof value === 'string' && Object.hasOwn(COMPARISONS, value);
}

// EventBridge only accepts a lower bound followed by an upper bound, and a non-empty range.
function isRange([lower, upper]: readonly Comparison[], path: string, problems: string[]): boolean {
  const before = problems.length;
  if (lower && lower[0] !== '>' && lower[0] !== '>=') {
    problems.push(`${path}[0]: a two-sided range starts with ">" or ">="`);
  }
  if (upper && upper[0] !== '<' && upper[0] !== '<=') {
    problems.push(`${path}[2]: a two-sided range ends with "<" or "<="`);
  }
  if (lower && upper && lower[1] >= upper[1]) {
    problems.push(`${path}: the lower bound must be less than the upper bound`);
  }
  return problems.length === before;
}

// ---------------------------------------------------------------------------------------------
// wildcard: "*" matches any run of characters (including none and "/"); "\*" and "\\" are literals.

function wildcardTest(operand: unknown, path: string, problems: string[]): ((v: string) => boolean) | undefined {
  if (typeof operand !== 'string') return fail(problems, `${path}: wildcard must be a string`);
  const segments = wildcardSegments(operand, path, problems);
  return segments && ((v) => matchesSegments(v, segments));
}

/** The literal pieces between the unescaped stars, or undefined when the pattern is malformed. */
function wildcardSegments(pattern: string, path: string, problems: string[]): string[] | undefined {
  const segments: string[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern.charAt(i);
    if (char === '*') {
      if (pattern.charAt(i + 1) === '*') {
        return fail(problems, `${path}: consecutive "*" at position ${i} are not allowed`);
      }
      segments.push(literal);
      literal = '';
    } else if (char === '\\') {
      const next = pattern.charAt(i + 1);
      if (next !== '*' && next !== '\\') {
        return fail(problems, `${path}: invalid escape at position ${i} (only \\* and \\\\)`);
      }
      literal += next;
      i++;
    } else {
      literal += char;
    }
  }
  return [...segments, literal];
}

// Leftmost placement of each middle piece is optimal when the only wildcard is "*".
function matchesSegments(value: string, segments: readonly string[]): boolean {
  const first = segments[0] ?? '';
  if (segments.length === 1) return value === first;
  const last = segments[segments.length - 1] ?? '';
  const end = value.length - last.length;
  if (end < first.length || !value.startsWith(first) || !value.endsWith(last)) return false;
  let position = first.length;
  for (const middle of segments.slice(1, -1)) {
    const found = value.indexOf(middle, position);
    if (found < 0 || found + middle.length > end) return false;
    position = found + middle.length;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// cidr: IPv4 and IPv6 blocks; the base address need not be the network address.

function compileCidr(operand: unknown, path: string, problems: string[]): Matcher | undefined {
  const block = typeof operand === 'string' ? parseCidr(operand) : 'cidr must be a string such as "10.0.0.0/24"';
  if (typeof block === 'string') return fail(problems, `${path}: ${block}`);
  return valueMatcher((v) => {
    const address = typeof v === 'string' ? parseIp(v) : undefined;
    return address !== undefined && inBlock(address, block);
  });
}

interface CidrBlock {
  readonly base: Uint8Array;
  readonly prefixBits: number;
}

/** The block, or why the text is not one (event-ruler's limits: /0-/31 for IPv4, /0-/127 for IPv6). */
function parseCidr(text: string): CidrBlock | string {
  const parts = text.split('/');
  if (parts.length !== 2) return `malformed CIDR "${text}", exactly one "/" is required`;
  const [addressText = '', bitsText = ''] = parts;
  const base = parseIp(addressText);
  if (!base) return `"${addressText}" is not an IPv4 or IPv6 address`;
  if (!/^[0-9]+$/.test(bitsText)) return `mask bits "${bitsText}" must be a non-negative integer`;
  const prefixBits = Number(bitsText);
  const maxBits = base.length * 8 - 1;
  if (prefixBits > maxBits) return `mask bits must be at most ${maxBits} for this address family`;
  return { base, prefixBits };
}

function inBlock(address: Uint8Array, { base, prefixBits }: CidrBlock): boolean {
  if (address.length !== base.length) return false;
  for (let bit = 0; bit < prefixBits; bit += 8) {
    const byte = bit / 8;
    const mask = prefixBits - bit >= 8 ? 0xff : (0xff << (8 - (prefixBits - bit))) & 0xff;
    if (((address[byte] ?? 0) & mask) !== ((base[byte] ?? 0) & mask)) return false;
  }
  return true;
}

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

/** 4 or 16 bytes, or undefined when `text` is not an IP literal in a form event-ruler accepts. */
function parseIp(text: string): Uint8Array | undefined {
  if (IPV4_SHAPE.test(text)) return parseIpv4(text);
  if (IPV6_SHAPE.test(text)) return parseIpv6(text);
  return undefined;
}

// Octets are read as decimal even with leading zeros, as Java's InetAddress does.
function parseIpv4(text: string): Uint8Array | undefined {
  const octets = text.split('.').map(Number);
  return octets.every((o) => o <= 255) ? Uint8Array.from(octets) : undefined;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  const [head = [], tail = []] = groups;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const bytes = Uint8Array.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
  return isIpv4Mapped(bytes) ? bytes.slice(12) : bytes;
}

// Java turns ::ffff:a.b.c.d into the IPv4 address, so IPv4 blocks match it.
function isIpv4Mapped(bytes: Uint8Array): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i]);
}

// ---------------------------------------------------------------------------------------------
// Matching. Events are flattened into leaf fields that remember which element of each array they
// came from; one branch matches when every constraint finds a field, all from consistent elements.

type ArrayPositions = ReadonlyMap<number, number>;

interface EventField {
  readonly value: Leaf;
  readonly positions: ArrayPositions;
}

type FlatEvent = ReadonlyMap<string, readonly EventField[]>;

function flattenEvent(event: Record<string, unknown>): FlatEvent {
  const fields = new Map<string, EventField[]>();
  let nextArrayId = 0;
  const visit = (node: unknown, names: readonly string[], positions: ArrayPositions): void => {
    if (Array.isArray(node)) {
      const arrayId = nextArrayId++;
      node.forEach((element, index) => visit(element, names, new Map(positions).set(arrayId, index)));
    } else if (isPlainObject(node)) {
      for (const [key, value] of Object.entries(node)) visit(value, [...names, key], positions);
    } else if (isLeaf(node) && names.length > 0) {
      const name = names.join('.');
      const sameName = fields.get(name) ?? [];
      sameName.push({ value: node, positions });
      fields.set(name, sameName);
    }
  };
  visit(event, [], new Map());
  return fields;
}

function matchesBranch(branch: Branch, event: FlatEvent): boolean {
  const matchFrom = (index: number, positions: ArrayPositions): boolean => {
    const constraint = branch[index];
    if (!constraint) return true;
    const candidates = (event.get(constraint.name) ?? []).filter((f) => consistent(positions, f.positions));
    const viaValue = candidates.some(
      (field) => constraint.tests.some((test) => test(field.value)) && matchFrom(index + 1, merged(positions, field.positions)),
    );
    return viaValue || (constraint.matchesAbsent && candidates.length === 0 && matchFrom(index + 1, positions));
  };
  return matchFrom(0, new Map());
}

/** Fields from different elements of the same array never combine. */
function consistent(a: ArrayPositions, b: ArrayPositions): boolean {
  for (const [arrayId, index] of b) {
    const other = a.get(arrayId);
    if (other !== undefined && other !== index) return false;
  }
  return true;
}

function merged(a: ArrayPositions, b: ArrayPositions): ArrayPositions {
  return b.size === 0 ? a : new Map([...a, ...b]);
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLeaf(value: unknown): value is Leaf {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function onlyEntry(object: Record<string, unknown>, key: string): unknown {
  const keys = Object.keys(object);
  return keys.length === 1 && keys[0] === key ? object[key] : undefined;
}

function foldCase(text: string): string {
  return text.toLowerCase();
}

function crossProduct(left: readonly Branch[], right: readonly Branch[]): Branch[] {
  return left.flatMap((a) => right.map((b) => [...a, ...b]));
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function fail(problems: string[], problem: string): undefined {
  problems.push(problem);
  return undefined;
}
