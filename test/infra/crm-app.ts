import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createCrmApp, type CrmApp } from '#infra/app.ts';
import { REPO_ROOT } from '#infra/build/bundle.ts';
import { WEB_DIST_CONTEXT } from '#infra/constructs/web-hosting.ts';
import { DEFAULT_CONFIG_PATH, loadConfig } from '#infra/config/load.ts';
import type { CrmConfig } from '#infra/config/schema.ts';

// Synthesizes the CRM app the way `cdk synth` does (cdk.json's feature flags, the nag checks),
// into a temporary folder. Synthesis bundles every function with esbuild: call it once per
// test file, in beforeAll.

export const SHIPPED_CONFIG_PATH = resolve(REPO_ROOT, DEFAULT_CONFIG_PATH);

/** The "context" of cdk.json: feature flags the CLI passes to the app. */
export const cdkContext: Record<string, unknown> = JSON.parse(readFileSync(resolve(REPO_ROOT, 'cdk.json'), 'utf8')).context;

export function shippedConfig(): CrmConfig {
  return loadConfig(SHIPPED_CONFIG_PATH);
}

export interface SynthesizedCrmApp extends CrmApp {
  readonly outdir: string;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
  readonly dispose: () => void;
}

/**
 * `extend` adds constructs to the app before synthesis (probes of a test). `validate` runs
 * CDK's built-in CloudFormation validation (a rules engine in WebAssembly: some 10-30 s of
 * CPU per synthesis); off by default, since one test runs it on the shipped config
 * (cfn-validation.infra.test.ts) and `cdk synth`/`cdk deploy` always run it.
 */
export function synthCrmApp(
  config: CrmConfig = shippedConfig(),
  extend?: (crm: CrmApp) => void,
  options: { validate?: boolean } = {},
): SynthesizedCrmApp {
  const outdir = mkdtempSync(join(tmpdir(), 'crm-cdk-'));
  // Never the checkout's web/dist (built or not): the web app's upload has its own test
  // (web-hosting.infra.test.ts), with a fixture.
  const crm = createCrmApp(config, {
    context: { ...cdkContext, [WEB_DIST_CONTEXT]: join(outdir, 'no-web-app') },
    outdir,
    builtinCloudFormationValidation: options.validate ?? false,
  });
  extend?.(crm);
  crm.app.synth();
  return {
    ...crm,
    outdir,
    statefulTemplate: Template.fromStack(crm.stateful),
    statelessTemplate: Template.fromStack(crm.stateless),
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
