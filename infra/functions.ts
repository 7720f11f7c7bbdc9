import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '#infra/build/bundle.ts';
import { allRoutes } from '#shared/families.ts';
import { builtinRules } from '#infra/rules.ts';

// The function registry: every Lambda of the CRM, once. The stacks create one CrmFunction
// per entry, the bench bundles each of them, the local cloud may list them. HTTP families
// come from the route contracts, so adding a route to a new family adds its Lambda.

export type FunctionKind = 'http' | 'stream' | 'event' | 'scheduled' | 'deploy';

export interface FunctionSpec {
  /** Kebab-case; also the Powertools service name and the suffix of the function's name. */
  readonly name: string;
  readonly kind: FunctionKind;
  /** The handler module, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  /** Seconds; HTTP functions stay well under API Gateway's 30 s integration timeout. */
  readonly timeoutSeconds: number;
  /** MB; CPU scales with it, and 1024 MB keeps cold starts short. */
  readonly memorySize?: number;
}

/** The family serving API Gateway's $default route (problem+json 404 for unknown paths). */
export const DEFAULT_ROUTE_FAMILY = 'platform';

export const httpFamilies: readonly string[] = [...new Set(allRoutes.map((route) => route.family))].sort();

export const httpFunctions: readonly FunctionSpec[] = httpFamilies.map((family) => ({
  name: family,
  kind: 'http',
  entry: `functions/http/${family}.ts`,
  description: `CRM HTTP API: ${family} routes`,
  timeoutSeconds: 10,
}));

export const outboxPublisher: FunctionSpec = {
  name: 'outbox-publisher',
  kind: 'stream',
  entry: 'functions/streams/outbox-publisher.ts',
  description: 'CRM table stream (new outbox items) to the EventBridge bus',
  timeoutSeconds: 30,
};

/** Targets of the built-in bus rules (infra/rules.ts). */
export const eventFunctions: readonly FunctionSpec[] = [...new Set(builtinRules.map((rule) => rule.target))].map((name) => ({
  name,
  kind: 'event',
  entry: `functions/events/${name}.ts`,
  description: `CRM bus consumer: ${builtinRules.find((r) => r.target === name)?.description ?? name}`,
  timeoutSeconds: 30,
}));

/** Runs after each deploy (a CDK trigger): what a fresh company needs, such as its first admin. */
export const bootstrapFunction: FunctionSpec = {
  name: 'bootstrap',
  kind: 'deploy',
  entry: 'functions/deploy/bootstrap.ts',
  description: 'CRM bootstrap after deploy: the first admin (and, later, the default pipeline)',
  timeoutSeconds: 60,
};

export const functionSpecs: readonly FunctionSpec[] = [...httpFunctions, outboxPublisher, ...eventFunctions, bootstrapFunction];

/** Fails synth early, naming the missing file, instead of an esbuild error deep in CDK. */
export function entryPath(spec: FunctionSpec): string {
  const path = resolve(REPO_ROOT, spec.entry);
  if (!existsSync(path)) throw new Error(`function "${spec.name}" has no entry module: ${spec.entry} does not exist`);
  return path;
}

export function functionSpec(name: string): FunctionSpec {
  const spec = functionSpecs.find((s) => s.name === name);
  if (!spec) throw new Error(`no function named "${name}" in infra/functions.ts`);
  return spec;
}
