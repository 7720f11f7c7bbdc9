import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { createCrmApp } from '#infra/app.ts';
import { parseConfig } from '#infra/config/load.ts';
import type { CrmConfig } from '#infra/config/schema.ts';
import { cdkContext, shippedConfig } from './crm-app.ts';

// Day-one settings of a real deployment, from the config: the sender's domain (SES identity
// with DKIM, Cognito sending from it), narrowed CORS origins, refresh tokens. Synthesized
// without bundling (the templates are what is checked here, not the functions' code).

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function templates(change: (config: Record<string, any>) => void): { stateful: Template; stateless: Template } {
  const raw = structuredClone(shippedConfig()) as Record<string, any>;
  change(raw);
  const config: CrmConfig = parseConfig(raw);
  const outdir = mkdtempSync(join(tmpdir(), 'crm-day-one-'));
  dirs.push(outdir);
  const crm = createCrmApp(config, {
    context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] },
    outdir,
    builtinCloudFormationValidation: false, // cfn-validation.infra.test.ts runs it
  });
  return { stateful: Template.fromStack(crm.stateful), stateless: Template.fromStack(crm.stateless) };
}

describe('a deployment with its own mail domain, narrowed CORS and long-lived refresh tokens', () => {
  const { stateful, stateless } = templates((c) => {
    c.email = { sender_address: 'crm@mail.acme.example', sender_name: 'Acme CRM', domain: 'mail.acme.example' };
    c.api = { cors_allow_origins: ['https://crm.acme.example', 'http://localhost:5173'] };
    c.auth = { refresh_token_validity_days: 30, refresh_token_rotation: false };
  });

  it('creates the domain identity with Easy DKIM and outputs its three DNS records', () => {
    stateful.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'mail.acme.example',
      DkimAttributes: { SigningEnabled: true },
    });
    const outputs = Object.keys(stateful.findOutputs('*')).filter((id) => id.startsWith('DkimRecord'));
    expect(outputs.sort()).toEqual(['DkimRecord1', 'DkimRecord2', 'DkimRecord3']);
  });

  it('has Cognito send from the address through the verified domain, after the identity exists', () => {
    const [poolId, pool] = Object.entries(stateful.findResources('AWS::Cognito::UserPool'))[0]!;
    expect(pool.Properties.EmailConfiguration).toMatchObject({
      EmailSendingAccount: 'DEVELOPER',
      From: 'Acme CRM <crm@mail.acme.example>',
      SourceArn: {
        'Fn::Join': ['', ['arn:aws:ses:eu-west-1:', { Ref: 'AWS::AccountId' }, ':identity/mail.acme.example']],
      },
    });
    const identityId = Object.keys(stateful.findResources('AWS::SES::EmailIdentity'))[0]!;
    expect(stateful.toJSON().Resources[poolId].DependsOn).toContain(identityId);
  });

  it('allows only the configured origins, at API Gateway and in every HTTP function', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://crm.acme.example', 'http://localhost:5173'] }),
    });
    const functions = Object.values(stateless.findResources('AWS::Lambda::Function'));
    const cors = functions.map((f) => f.Properties.Environment.Variables.CORS_ALLOW_ORIGINS).filter(Boolean);
    expect(cors.length).toBeGreaterThan(0);
    for (const value of cors) expect(value).toBe('https://crm.acme.example,http://localhost:5173');
  });

  it('keeps refresh tokens 30 days without rotation, refreshing through the classic flow', () => {
    stateful.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      RefreshTokenValidity: 30 * 24 * 60,
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_REFRESH_TOKEN_AUTH']),
    });
    const client = Object.values(stateful.findResources('AWS::Cognito::UserPoolClient'))[0]!;
    expect(client.Properties.RefreshTokenRotation).toBeUndefined();
  });
});

describe('a first deploy before the SES identity is verified', () => {
  const { stateful } = templates((c) => (c.email = { ...c.email, cognito_sends_with_ses: false }));

  it('lets Cognito use its own sender (and its own invitation text, which it alone may send)', () => {
    const pool = Object.values(stateful.findResources('AWS::Cognito::UserPool'))[0]!.Properties;
    expect(pool.EmailConfiguration?.EmailSendingAccount ?? 'COGNITO_DEFAULT').toBe('COGNITO_DEFAULT');
    expect(pool.EmailConfiguration?.SourceArn).toBeUndefined();
    expect(pool.AdminCreateUserConfig?.InviteMessageTemplate?.EmailMessage).toBeUndefined();
  });
});
