import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';

// A FilterExpression evaluated in memory, as DynamoDB evaluates it: for list items that stand
// for other items (a deal's association link stands for the deal), the filter must apply to
// the item read in their place, after the read. The grammar is DynamoDB's condition syntax
// (comparisons, BETWEEN, IN, AND, OR, NOT, parentheses, attribute_exists,
// attribute_not_exists, begins_with, contains); anything else throws, so a filter this
// evaluator cannot honour is found by the first test that uses it, never approximated.

/** A FilterExpression with its placeholders (Table.page's `filter`). */
export interface FilterSpec {
  expression: string;
  names?: Record<string, string> | undefined;
  values?: Record<string, NativeAttributeValue> | undefined;
}

type Token = { kind: 'word' | 'name' | 'value' | 'op' | 'punct'; text: string };

const TOKEN = /\s*(?:(<>|<=|>=|=|<|>)|([(),.[\]])|(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*|\d+))/y;

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(expression);
    if (!m) throw new Error(`unsupported filter syntax at ${at}: ${expression}`);
    if (m[1]) tokens.push({ kind: 'op', text: m[1] });
    else if (m[2]) tokens.push({ kind: 'punct', text: m[2] });
    else if (m[3]) tokens.push({ kind: 'name', text: m[3] });
    else if (m[4]) tokens.push({ kind: 'value', text: m[4] });
    else tokens.push({ kind: 'word', text: m[5] ?? '' });
  }
  return tokens;
}

const MISSING = Symbol('missing');
type Value = NativeAttributeValue | typeof MISSING;
type Operand = (item: Record<string, unknown>) => Value;
type Condition = (item: Record<string, unknown>) => boolean;

/** Compiles `filter` to a predicate on items (throws on syntax it does not support). */
export function compileFilter(filter: FilterSpec): Condition {
  const tokens = tokenize(filter.expression);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => {
    const t = tokens[i++];
    if (!t) throw new Error(`unexpected end of filter: ${filter.expression}`);
    return t;
  };
  const expect = (text: string) => {
    const t = next();
    if (t.text !== text) throw new Error(`expected ${text}, got ${t.text} in ${filter.expression}`);
  };
  const isWord = (t: Token | undefined, word: string) => t?.kind === 'word' && t.text.toUpperCase() === word;

  const path = (): ((item: Record<string, unknown>) => Value) => {
    const parts: (string | number)[] = [];
    const element = () => {
      const t = next();
      if (t.kind === 'name') {
        const name = filter.names?.[t.text];
        if (name === undefined) throw new Error(`no attribute name for ${t.text}`);
        parts.push(name);
      } else if (t.kind === 'word') parts.push(t.text);
      else throw new Error(`expected an attribute, got ${t.text} in ${filter.expression}`);
      while (peek()?.text === '[') {
        next();
        parts.push(Number(next().text));
        expect(']');
      }
    };
    element();
    while (peek()?.text === '.') {
      next();
      element();
    }
    return (item) => {
      let value: unknown = item;
      for (const part of parts) {
        if (value === null || typeof value !== 'object' || !(part in value)) return MISSING;
        value = (value as Record<string | number, unknown>)[part];
      }
      return value as Value;
    };
  };

  const operand = (): Operand => {
    const t = peek();
    if (t?.kind === 'value') {
      next();
      if (!filter.values || !(t.text in filter.values)) throw new Error(`no value for ${t.text}`);
      const value = filter.values[t.text] as NativeAttributeValue;
      return () => value;
    }
    if (isWord(t, 'SIZE')) {
      next();
      expect('(');
      const of = path();
      expect(')');
      return (item) => {
        const v = of(item);
        if (typeof v === 'string') return [...v].length;
        if (Array.isArray(v)) return v.length;
        if (v instanceof Set) return v.size;
        if (v !== null && typeof v === 'object' && v !== MISSING) return Object.keys(v).length;
        return MISSING;
      };
    }
    return path();
  };

  const primary = (): Condition => {
    const t = peek();
    if (t?.text === '(') {
      next();
      const inner = or();
      expect(')');
      return inner;
    }
    if (isWord(t, 'NOT')) {
      next();
      const inner = primary();
      return (item) => !inner(item);
    }
    const fn = t?.kind === 'word' ? t.text : '';
    if (tokens[i + 1]?.text === '(' && ['attribute_exists', 'attribute_not_exists', 'begins_with', 'contains'].includes(fn)) {
      next();
      expect('(');
      const of = path();
      let arg: Operand | undefined;
      if (fn === 'begins_with' || fn === 'contains') {
        expect(',');
        arg = operand();
      }
      expect(')');
      if (fn === 'attribute_exists') return (item) => of(item) !== MISSING;
      if (fn === 'attribute_not_exists') return (item) => of(item) === MISSING;
      const argOf = arg as Operand;
      if (fn === 'begins_with') {
        return (item) => {
          const v = of(item);
          const a = argOf(item);
          return typeof v === 'string' && typeof a === 'string' && v.startsWith(a);
        };
      }
      return (item) => contains(of(item), argOf(item));
    }
    const left = operand();
    const op = next();
    if (op.kind === 'op') {
      const right = operand();
      return (item) => compare(op.text, left(item), right(item));
    }
    if (isWord(op, 'BETWEEN')) {
      const low = operand();
      if (!isWord(next(), 'AND')) throw new Error(`expected AND in BETWEEN: ${filter.expression}`);
      const high = operand();
      return (item) => compare('>=', left(item), low(item)) && compare('<=', left(item), high(item));
    }
    if (isWord(op, 'IN')) {
      expect('(');
      const options = [operand()];
      while (peek()?.text === ',') {
        next();
        options.push(operand());
      }
      expect(')');
      return (item) => options.some((o) => compare('=', left(item), o(item)));
    }
    throw new Error(`unsupported filter syntax ${op.text} in ${filter.expression}`);
  };

  const and = (): Condition => {
    const parts = [primary()];
    while (isWord(peek(), 'AND')) {
      next();
      parts.push(primary());
    }
    return parts.length === 1 ? (parts[0] as Condition) : (item) => parts.every((p) => p(item));
  };

  function or(): Condition {
    const parts = [and()];
    while (isWord(peek(), 'OR')) {
      next();
      parts.push(and());
    }
    return parts.length === 1 ? (parts[0] as Condition) : (item) => parts.some((p) => p(item));
  }

  const condition = or();
  if (i !== tokens.length) throw new Error(`unsupported filter syntax after ${tokens[i - 1]?.text}: ${filter.expression}`);
  return condition;
}

function contains(value: Value, element: Value): boolean {
  if (typeof value === 'string') return typeof element === 'string' && value.includes(element);
  if (Array.isArray(value)) return value.some((v) => compare('=', v as Value, element));
  if (value instanceof Set) return [...value].some((v) => compare('=', v as Value, element));
  return false;
}

/** DynamoDB's comparisons: numbers by value, strings by UTF-8 bytes, others only for (in)equality. */
function compare(op: string, a: Value, b: Value): boolean {
  if (a === MISSING || b === MISSING) return false;
  if (op === '=' || op === '<>') {
    const equal = JSON.stringify(a) === JSON.stringify(b);
    return op === '=' ? equal : !equal;
  }
  let c: number;
  if (typeof a === 'number' && typeof b === 'number') c = a - b;
  else if (typeof a === 'string' && typeof b === 'string') c = Buffer.compare(Buffer.from(a), Buffer.from(b));
  else return false;
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}
