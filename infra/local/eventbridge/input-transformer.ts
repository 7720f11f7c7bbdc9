// EventBridge input transformers (a rule target's InputTransformer), for the local bus and
// for checks at synth. What the target gets is built as EventBridge builds it:
// - InputPathsMap: variable → JSON path into the event, dot notation with array indices
//   ("$.detail.data.owner_id", "$.resources[0]"); a path that finds nothing gives null.
// - Predefined variables (no path): aws.events.rule-name, aws.events.rule-arn,
//   aws.events.event (the event without `detail`), aws.events.event.json (the whole event),
//   aws.events.event.ingestion-time.
// - InputTemplate starting with "{" is a JSON template: a placeholder outside quotes becomes
//   the value as JSON (a string quoted, a missing value null); inside quotes the value's text,
//   escaped for a JSON string. The result must be valid JSON, else the delivery fails. Any
//   other template is text: placeholders become the values' text, and the target gets a string.

/** A target's InputTransformer, as CloudFormation and PutTargets spell it. */
export interface InputTransformer {
  readonly InputPathsMap?: Readonly<Record<string, string>>;
  readonly InputTemplate: string;
}

/** EventBridge's limits on a transformer (PutTargets, CloudFormation). */
export const INPUT_TRANSFORMER_LIMITS = { variables: 100, templateLength: 8192 } as const;

const PREDEFINED = [
  'aws.events.rule-name',
  'aws.events.rule-arn',
  'aws.events.event',
  'aws.events.event.json',
  'aws.events.event.ingestion-time',
] as const;

const VARIABLE_NAME = /^[a-zA-Z0-9]+$/;
const PATH = /^\$(\.[A-Za-z0-9_\-/]+(\[\d+\])*|\[\d+\])*$/;
const PLACEHOLDER = /<([A-Za-z0-9_.-]+)>/g;

/**
 * What is wrong with a transformer, one line each (empty when EventBridge would take it):
 * variable names, paths, the template's length, JSON templates that do not parse or use a
 * placeholder as an object key, placeholders naming no variable.
 */
export function inputTransformerProblems(transformer: InputTransformer): string[] {
  const problems: string[] = [];
  const paths = transformer.InputPathsMap ?? {};
  const names = Object.keys(paths);
  if (names.length > INPUT_TRANSFORMER_LIMITS.variables) {
    problems.push(`InputPathsMap has ${names.length} variables, at most ${INPUT_TRANSFORMER_LIMITS.variables}`);
  }
  for (const name of names) {
    if (!VARIABLE_NAME.test(name)) problems.push(`InputPathsMap: "${name}" is not letters and digits`);
    if (name.toLowerCase().startsWith('aws')) problems.push(`InputPathsMap: "${name}" must not start with "AWS"`);
    if (!PATH.test(paths[name]!)) problems.push(`InputPathsMap.${name}: "${paths[name]}" is not a JSON path in dot notation`);
  }
  const template = transformer.InputTemplate;
  if (template.length < 1 || template.length > INPUT_TRANSFORMER_LIMITS.templateLength) {
    problems.push(`InputTemplate has ${template.length} characters, 1 to ${INPUT_TRANSFORMER_LIMITS.templateLength}`);
  }
  const known = new Set<string>([...names, ...PREDEFINED]);
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!known.has(name!)) problems.push(`InputTemplate: <${name}> names no variable`);
  }
  if (isJsonTemplate(template)) {
    // Every placeholder as a sample value must leave valid JSON, and none may be a key.
    const sample = render(template, known, () => 'x');
    try {
      JSON.parse(sample);
    } catch (error) {
      problems.push(`InputTemplate is not valid JSON once filled: ${(error as Error).message}`);
    }
    if (/<[A-Za-z0-9_.-]+>\s*:/.test(template.replace(/"(?:[^"\\]|\\.)*"/g, '""'))) {
      problems.push('InputTemplate: a placeholder cannot be an object key');
    }
  }
  return problems;
}

/** What the rule's target is invoked with: the JSON value of a JSON template, or a string. */
export function applyInputTransformer(
  transformer: InputTransformer,
  event: object,
  rule: { name: string; arn: string },
  ingestedAt: Date = new Date(),
): unknown {
  const values = new Map<string, unknown>();
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) values.set(name, readPath(event, path));
  const { detail: _detail, ...withoutDetail } = event as Record<string, unknown>;
  values.set('aws.events.rule-name', rule.name);
  values.set('aws.events.rule-arn', rule.arn);
  values.set('aws.events.event', withoutDetail);
  values.set('aws.events.event.json', event);
  values.set('aws.events.event.ingestion-time', ingestedAt.toISOString());
  const template = transformer.InputTemplate;
  if (!isJsonTemplate(template)) {
    return template.replace(PLACEHOLDER, (whole, name: string) => (values.has(name) ? textOf(values.get(name)) : whole));
  }
  const filled = render(template, new Set(values.keys()), (name) => values.get(name));
  try {
    return JSON.parse(filled) as unknown;
  } catch (error) {
    throw new Error(`input transformer of rule ${rule.name}: the filled template is not JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}

function isJsonTemplate(template: string): boolean {
  return template.trimStart().startsWith('{');
}

function textOf(value: unknown): string {
  if (value === undefined || value === null) return value === null ? 'null' : '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Fills a JSON template, knowing for each placeholder whether it sits inside a string. */
function render(template: string, known: ReadonlySet<string>, valueOf: (name: string) => unknown): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const char = template[i]!;
    if (inString && char === '\\') {
      out += char + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') {
      inString = !inString;
      out += char;
      continue;
    }
    if (char === '<') {
      const match = /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i));
      if (match && known.has(match[1]!)) {
        const value = valueOf(match[1]!);
        if (inString) {
          out += value === undefined ? '' : JSON.stringify(textOf(value)).slice(1, -1);
        } else {
          out += value === undefined ? 'null' : JSON.stringify(value);
        }
        i += match[0].length - 1;
        continue;
      }
    }
    out += char;
  }
  return out;
}

/** The value at a dot-notation JSON path ("$.detail.a[0].b"); undefined when it finds nothing. */
export function readPath(event: unknown, path: string): unknown {
  if (path === '$') return event;
  const steps = [...path.slice(1).matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((m) => m[1] ?? Number(m[2]));
  let value: unknown = event;
  for (const step of steps) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}
