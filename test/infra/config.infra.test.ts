import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCrmApp } from '#infra/app.ts';
import { REPO_ROOT } from '#infra/build/bundle.ts';
import { ConfigError, loadConfig, parseConfig } from '#infra/config/load.ts';
import { CONFIG_JSON_SCHEMA_PATH, renderConfigJsonSchema } from '#infra/config/write-json-schema.ts';
import { cdkContext, SHIPPED_CONFIG_PATH, shippedConfig } from './crm-app.ts';

const dir = mkdtempSync(join(tmpdir(), 'crm-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, change: (config: Record<string, any>) => void): string {
  const raw = JSON.parse(readFileSync(SHIPPED_CONFIG_PATH, 'utf8'));
  delete raw.$schema;
  change(raw);
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(raw));
  return path;
}

describe('deployment config', () => {
  it('parses the shipped config', () => {
    const config = shippedConfig();
    expect(config.stage).toBe('dev');
    expect(config.account.currency).toMatch(/^[A-Z]{3}$/);
  });

  it('names the file and the field path of a bad value', () => {
    const path = writeConfig('bad-currency.json', (c) => (c.account.currency = 'euro'));
    expect(() => loadConfig(path)).toThrow(ConfigError);
    expect(() => loadConfig(path)).toThrow(new RegExp(`${path.replaceAll('.', '\\.')}: account\\.currency: `));
  });

  it('makes the CDK app exit non-zero with that message', () => {
    const path = writeConfig('bad-stage.json', (c) => (c.stage = 'Prod!'));
    const run = spawnSync(process.execPath, ['infra/app.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, CRM_CONFIG: path, NODE_ENV: 'production' },
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`${path}: stage: `);
  });

  it('refuses a log retention CloudWatch does not offer, at synth', () => {
    const config = { ...shippedConfig(), log_retention_days: 45 };
    expect(() => createCrmApp(config, { context: cdkContext, outdir: join(dir, 'cdk.out') })).toThrow(
      /log_retention_days: 45 is not a CloudWatch Logs retention/,
    );
  });

  it('needs an alarm address and a positive monthly budget, naming the field', () => {
    const config = structuredClone(shippedConfig()) as any;
    config.alarms = { email: 'ops at example', monthly_budget_usd: 0 };
    expect(() => parseConfig(config, 'crm.config.json')).toThrowError(/crm\.config\.json: alarms\.email: /);
    expect(() => parseConfig(config, 'crm.config.json')).toThrowError(/crm\.config\.json: alarms\.monthly_budget_usd: /);
    delete config.alarms;
    expect(() => parseConfig(config, 'crm.config.json')).toThrowError(/crm\.config\.json: alarms: /);
  });

  it('ships the JSON schema generated from the zod schema', () => {
    const committed: unknown = JSON.parse(readFileSync(CONFIG_JSON_SCHEMA_PATH, 'utf8'));
    expect(committed, 'run `npm run config:schema`').toEqual(JSON.parse(renderConfigJsonSchema()));
  });
});

describe('day-one settings', () => {
  const parse = (change: (config: Record<string, any>) => void) => {
    const config = structuredClone(shippedConfig()) as any;
    change(config);
    return parseConfig(config, 'crm.config.json');
  };

  it("needs the app's URL (the invitation links to it), over http(s)", () => {
    expect(() => parse((c) => delete c.app_url)).toThrowError(/crm\.config\.json: app_url: /);
    expect(() => parse((c) => (c.app_url = 'ftp://crm.example.com'))).toThrowError(/app_url: /);
    expect(parse((c) => (c.app_url = 'https://crm.acme.example')).app_url).toBe('https://crm.acme.example');
  });

  it("takes a sender domain only when the sender's address is on it", () => {
    expect(() => parse((c) => (c.email = { sender_address: 'crm@other.example', domain: 'acme.example' }))).toThrowError(
      /email\.sender_address: must be an address of email\.domain/,
    );
    expect(() => parse((c) => (c.email = { sender_address: 'crm@acme.example', domain: 'Acme Example' }))).toThrowError(
      /email\.domain: /,
    );
    expect(parse((c) => (c.email = { sender_address: 'crm@acme.example', domain: 'acme.example' })).email).toEqual({
      sender_address: 'crm@acme.example',
      domain: 'acme.example',
      cognito_sends_with_ses: true,
    });
  });

  it('takes CORS origins as "*" or bare origins, naming a bad one', () => {
    expect(() => parse((c) => (c.api = { cors_allow_origins: ['https://crm.acme.example/app'] }))).toThrowError(
      /api\.cors_allow_origins\[0\]: /,
    );
    expect(() => parse((c) => (c.api = { cors_allow_origins: [] }))).toThrowError(/api\.cors_allow_origins: /);
    expect(parse((c) => (c.api = { cors_allow_origins: ['https://a.example', 'http://localhost:5173'] })).api).toEqual({
      cors_allow_origins: ['https://a.example', 'http://localhost:5173'],
    });
  });

  it('takes admin_mfa_required as a boolean only', () => {
    expect(() => parse((c) => (c.auth = { admin_mfa_required: 'yes' }))).toThrowError(/auth\.admin_mfa_required: /);
    expect(parse((c) => (c.auth = { admin_mfa_required: false })).auth.admin_mfa_required).toBe(false);
  });

  it('takes a refresh token lifetime of 1 day to 10 years', () => {
    expect(() => parse((c) => (c.auth = { refresh_token_validity_days: 0 }))).toThrowError(/auth\.refresh_token_validity_days: /);
    expect(() => parse((c) => (c.auth = { refresh_token_validity_days: 1.5 }))).toThrowError(
      /auth\.refresh_token_validity_days: /,
    );
    expect(parse((c) => (c.auth = { refresh_token_validity_days: 1 })).auth).toEqual({
      refresh_token_validity_days: 1,
      refresh_token_rotation: true,
      admin_mfa_required: true,
    });
  });

  it('defaults what an older config file lacks: any origin, 7-day refresh tokens with rotation, MFA for admins, Cognito mail through SES', () => {
    const config = parse((c) => {
      delete c.api;
      delete c.auth;
      delete c.email.cognito_sends_with_ses;
    });
    expect(config.api).toEqual({ cors_allow_origins: ['*'] });
    expect(config.auth).toEqual({ refresh_token_validity_days: 7, refresh_token_rotation: true, admin_mfa_required: true });
    expect(config.email.cognito_sends_with_ses).toBe(true);
  });
});

describe('default pipeline rules', () => {
  it('refuses a closed stage with another likelihood, naming the stage', () => {
    const config = structuredClone(shippedConfig()) as any;
    config.default_pipeline.stages[5].likelihood = 10;
    expect(() => parseConfig(config, 'crm.config.json')).toThrowError(
      /default_pipeline\.stages\[5\]\.likelihood: a lost stage has likelihood 0/,
    );
  });
});
