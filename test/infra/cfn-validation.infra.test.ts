import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthCrmApp, type SynthesizedCrmApp } from './crm-app.ts';

// CDK's built-in CloudFormation validation (cfn-lint's rules, in WebAssembly) on the shipped
// config: what `cdk synth` and `cdk deploy` run before CloudFormation sees the templates. Alone
// in its file because it costs 10-30 s of CPU per synthesis; the other synth tests skip it.

let crm: SynthesizedCrmApp;

beforeAll(() => {
  crm = synthCrmApp(undefined, undefined, { validate: true });
}, 600_000);
afterAll(() => crm?.dispose());

describe('CloudFormation validation', () => {
  it('names no violation in any stack (the report synthesis writes: warnings included)', () => {
    const report = JSON.parse(readFileSync(join(crm.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName?: string; violations?: { ruleName: string; description: string }[] }[];
    };
    const violations = report.pluginReports.flatMap((r) =>
      (r.violations ?? []).map((v) => `${r.pluginName ?? '?'} ${v.ruleName}: ${v.description}`),
    );
    expect(violations).toEqual([]);
  });
});
