import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrmApp, type CrmApp } from '#infra/app.ts';
import { parseConfig } from '#infra/config/load.ts';
import { CDK_PROVIDER_FUNCTION_PREFIXES, spaRewriteFunctionCode, WEB_DIST_CONTEXT } from '#infra/constructs/web-hosting.ts';
import { functionSpecs } from '#infra/functions.ts';
import { ASSET_CACHE_CONTROL, spaRewrite } from '#infra/local/web-gateway.ts';
import { cdkContext, shippedConfig } from './crm-app.ts';

// The web app in AWS (issue 16 item 5): private bucket behind CloudFront with origin access
// control, the local gateway's SPA rewrite as a CloudFront Function, security headers, cache
// rules, config.json written at deploy, and the Cognito client's code flow. Synthesized without
// bundling the functions, with a fixture in place of web/dist; the nag packs run at synth.

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

function synth(distDir: string, change: (config: Record<string, any>) => void = () => undefined): CrmApp {
  const raw = structuredClone(shippedConfig()) as Record<string, any>;
  change(raw);
  const crm = createCrmApp(parseConfig(raw), {
    context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], [WEB_DIST_CONTEXT]: distDir },
    outdir: tempDir('crm-web-out-'),
    builtinCloudFormationValidation: false, // cfn-validation.infra.test.ts runs it
  });
  crm.app.synth(); // runs cdk-nag: an unacknowledged finding throws
  return crm;
}

let crm: CrmApp;
let web: Template;
let stateful: Template;
const connectSrc = () =>
  JSON.stringify(
    Object.values(web.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]!.Properties.ResponseHeadersPolicyConfig
      .SecurityHeadersConfig.ContentSecurityPolicy,
  );

beforeAll(() => {
  const dist = tempDir('crm-web-dist-');
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><script type="module" src="/assets/index-abc.js"></script>');
  writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(dist, 'favicon.svg'), '<svg/>');
  crm = synth(dist);
  web = Template.fromStack(crm.web);
  stateful = Template.fromStack(crm.stateful);
}, 120_000);

describe('web app hosting', () => {
  it('keeps the app in a private, encrypted, TLS-only bucket that only the distribution reads (origin access control, no OAI)', () => {
    web.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: Match.anyValue(),
    });
    web.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    web.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always' }),
    });
    const policy = JSON.stringify(web.findResources('AWS::S3::BucketPolicy'));
    expect(policy).toContain('cloudfront.amazonaws.com');
    expect(policy).toContain('AWS:SourceArn');
    expect(policy).toContain('aws:SecureTransport');
  });

  it("rewrites extension-less paths to /index.html at the viewer request, with the local gateway's rule", () => {
    web.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionCode: spaRewriteFunctionCode(),
      FunctionConfig: Match.objectLike({ Runtime: 'cloudfront-js-2.0' }),
    });
    const [fnId] = Object.keys(web.findResources('AWS::CloudFront::Function'));
    web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          FunctionAssociations: [{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [fnId, 'FunctionARN'] } }],
        }),
      }),
    });
    // The deployed code does what the gateway does.
    const handler = new Function(`${spaRewriteFunctionCode()}; return handler;`)() as (e: unknown) => { uri: string };
    for (const uri of ['/', '/deals/42', '/assets/index-abc.js', '/config.json', '/a.b/c']) {
      expect(handler({ request: { uri } }).uri, uri).toBe(spaRewrite(uri));
    }
    expect(handler({ request: { uri: '/deals/42' } }).uri).toBe('/index.html');
    expect(handler({ request: { uri: '/favicon.svg' } }).uri).toBe('/favicon.svg');
  });

  it('sends CSP (connect-src: API, WebSocket, Cognito), HSTS, nosniff, DENY framing and a referrer policy', () => {
    web.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: Match.anyValue(), Override: true },
          StrictTransportSecurity: { AccessControlMaxAgeSec: 31536000, IncludeSubdomains: true, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true },
        },
      }),
    });
    const csp = connectSrc();
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self' https://");
    expect(csp).toContain('.execute-api.');
    expect(csp).toContain('wss://');
    expect(csp).toContain('https://cognito-idp.');
    expect(csp).toContain('.auth.'); // the hosted sign-in domain
    const distribution = JSON.stringify(web.findResources('AWS::CloudFront::Distribution'));
    const [policyId] = Object.keys(web.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    expect(distribution.split(`"Ref":"${policyId}"`)).toHaveLength(4); // default, /assets/*, /config.json
  });

  it('caches /assets/* for a year and never index.html or config.json', () => {
    const config = Object.values(web.findResources('AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
    const optimized = '658327ea-f89d-4fab-a63d-7e88639e58f6';
    const disabled = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
    expect(config.DefaultCacheBehavior.CachePolicyId).toBe(disabled);
    const byPath = Object.fromEntries(
      (config.CacheBehaviors as { PathPattern: string; CachePolicyId: string }[]).map((b) => [b.PathPattern, b.CachePolicyId]),
    );
    expect(byPath).toEqual({ '/assets/*': optimized, '/config.json': disabled });
    const deployments = Object.values(web.findResources('Custom::CDKBucketDeployment')).map((d) => d.Properties);
    expect(deployments.map((d) => [d.DestinationBucketKeyPrefix, d.SystemMetadata, d.Prune])).toEqual(
      expect.arrayContaining([
        ['assets/', { 'cache-control': ASSET_CACHE_CONTROL }, false],
        [undefined, { 'cache-control': 'no-cache' }, false],
      ]),
    );
  });

  it('writes config.json at deploy with the API, WebSocket and Cognito endpoints and the region', () => {
    const app = Object.values(web.findResources('Custom::CDKBucketDeployment')).find(
      (d) => d.Properties.DestinationBucketKeyPrefix === undefined,
    )!;
    const markers = JSON.stringify(app.Properties.SourceMarkers);
    expect(markers).toContain('UserPool');
    expect(markers).toContain('HttpApi');
    expect(markers).toContain('LiveWebSocketApi');
    expect(crm.web.resolve(crm.web.web.runtimeConfig)).toMatchObject({
      apiUrl: {
        'Fn::Join': [
          '',
          expect.arrayContaining([
            'https://',
            { 'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(/HttpApi/) }) },
          ]),
        ],
      },
      region: 'eu-west-1',
      cognito: { region: 'eu-west-1', userPoolId: expect.anything(), clientId: expect.anything(), domain: expect.anything() },
      mailboxOAuthProviders: [], // the shipped config names none
    });
  });

  it('adds only CDK’s BucketDeployment provider as a function outside infra/functions.ts', () => {
    const names = new Set(functionSpecs.map((spec) => `crm-dev-${spec.name}`));
    const others = Object.entries(web.findResources('AWS::Lambda::Function')).filter(
      ([, fn]) => !names.has(fn.Properties.FunctionName),
    );
    expect(others).toHaveLength(1);
    expect(CDK_PROVIDER_FUNCTION_PREFIXES.some((prefix) => others[0]![0].startsWith(prefix))).toBe(true);
  });

  it('gives the web client the authorization code flow only (PKCE, no secret), back to app_url by default', () => {
    stateful.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: Match.arrayWith(['openid']),
      CallbackURLs: ['https://crm.example.com'],
      LogoutURLs: ['https://crm.example.com'],
      SupportedIdentityProviders: ['COGNITO'],
    });
    stateful.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['', ['crm-dev-', { Ref: 'AWS::AccountId' }]] },
    });
  });
});

describe('web app hosting, configured and unbuilt', () => {
  it('takes callback URLs and the domain prefix from the config, and skips the upload with a synth message without web/dist', () => {
    const unbuilt = synth(join(tempDir('crm-web-none-'), 'dist'), (c) => {
      c.web = { callback_urls: ['https://crm.acme.example/', 'http://localhost:5173/'], cognito_domain_prefix: 'acme-crm' };
    });
    const template = Template.fromStack(unbuilt.stateful);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://crm.acme.example/', 'http://localhost:5173/'],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-crm' });
    const web = Template.fromStack(unbuilt.web);
    web.resourceCountIs('Custom::CDKBucketDeployment', 0);
    web.resourceCountIs('AWS::CloudFront::Distribution', 1);
    Annotations.fromStack(unbuilt.web).hasInfo('/crm-dev-web/Web', Match.stringLikeRegexp('index.html is missing'));
    expect(Stack.of(unbuilt.web.web).resolve(unbuilt.web.web.deployments)).toEqual([]);
  });

  it('refuses a Cognito domain prefix Cognito would refuse', () => {
    const raw = structuredClone(shippedConfig()) as Record<string, any>;
    raw.web = { cognito_domain_prefix: 'my-cognito-login' };
    expect(() => parseConfig(raw)).toThrow(/aws, amazon or cognito/);
  });
});
