import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Aws, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { APP_CACHE_CONTROL, ASSET_CACHE_CONTROL, contentSecurityPolicy, spaRewrite } from '#infra/local/web-gateway.ts';
import { acknowledge, wildcardResourceFinding } from '#infra/nag.ts';

// The web app in AWS: the built app (web/dist) in a private bucket, read by CloudFront only
// (origin access control), with the same SPA rewrite, security headers and cache rules as the
// local web gateway (infra/local/web-gateway.ts), and /config.json written at deploy.

/** The CDK context key naming the built app's folder (default web/dist; tests give a fixture). */
export const WEB_DIST_CONTEXT = 'crmWebDist';

/**
 * Lambda functions CDK itself adds that are not in infra/functions.ts: BucketDeployment's
 * custom-resource provider (a singleton copying the app's files into the bucket at deploy). It
 * is CDK's code, run by CloudFormation only, so it has no registry entry, `needs` or local
 * worker; tests match it by this logical-id prefix.
 */
export const CDK_PROVIDER_FUNCTION_PREFIXES = ['CustomCDKBucketDeployment'] as const;

/** The CloudFront Function's code: the local gateway's `spaRewrite` applied to the viewer request. */
export function spaRewriteFunctionCode(): string {
  return [
    spaRewrite.toString(),
    'function handler(event) {',
    '  event.request.uri = spaRewrite(event.request.uri);',
    '  return event.request;',
    '}',
  ].join('\n');
}

export interface WebHostingProps {
  readonly stage: string;
  /** The built app (index.html, assets/); when missing, nothing is uploaded (a synth warning says so). */
  readonly distDir: string;
  /** The HTTP API's base URL, without a trailing slash. */
  readonly apiUrl: string;
  readonly webSocketUrl: string;
  readonly cognito: {
    readonly userPoolId: string;
    readonly clientId: string;
    /** The hosted sign-in domain's base URL (https://<prefix>.auth.<region>.amazoncognito.com). */
    readonly domainUrl: string;
  };
  /** The config's mailbox_oauth provider names (e.g. "google"): the app offers "Connect with" each. */
  readonly mailboxOAuthProviders: readonly string[];
}

/** A private bucket, a CloudFront distribution in front of it, and the deployment of the app into it. */
export class WebHosting extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly headers: cloudfront.ResponseHeadersPolicy;
  readonly rewrite: cloudfront.Function;
  /** What /config.json holds (see web/src/config.ts). */
  readonly runtimeConfig: Record<string, unknown>;
  /** The app's and its assets' deployments; empty when the app is not built. */
  readonly deployments: s3deploy.BucketDeployment[] = [];
  /** https://<id>.cloudfront.net */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebHostingProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    const cognitoEndpoint = `https://cognito-idp.${region}.${Aws.URL_SUFFIX}/`;
    this.runtimeConfig = {
      apiUrl: props.apiUrl,
      webSocketUrl: props.webSocketUrl,
      region,
      cognito: {
        endpoint: cognitoEndpoint,
        region,
        userPoolId: props.cognito.userPoolId,
        clientId: props.cognito.clientId,
        domain: props.cognito.domainUrl,
      },
      mailboxOAuthProviders: [...props.mailboxOAuthProviders],
    };

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Built files only: the next deploy writes them again.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.bucket, {
      id: 'AwsSolutions-S1',
      reason:
        'Holds only the built app, readable through CloudFront alone (origin access control): every read is a CloudFront request, so S3 access logs would repeat what CloudFront sees and record no user action.',
    });

    this.rewrite = new cloudfront.Function(this, 'SpaRewrite', {
      functionName: `crm-${props.stage}-web-spa-rewrite`,
      comment: 'Paths without a file extension serve /index.html (the app routes them)',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(spaRewriteFunctionCode()),
    });

    const connect = [props.apiUrl, props.webSocketUrl, cognitoEndpoint, props.cognito.domainUrl];
    this.headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      responseHeadersPolicyName: `crm-${props.stage}-web-headers`,
      comment: 'Security headers of the CRM web app (the local web gateway sends the same)',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(connect), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
      },
    });

    const origin = S3BucketOrigin.withOriginAccessControl(this.bucket);
    const noCache = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      responseHeadersPolicy: this.headers,
    };
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `CRM web app (${props.stage})`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      // index.html (and every app path rewritten to it): never cached, so a deploy shows at once.
      defaultBehavior: {
        ...noCache,
        functionAssociations: [{ function: this.rewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        // Hashed file names: cached for a year, at the edge and in the browser.
        '/assets/*': { ...noCache, cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED },
        '/config.json': noCache,
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}`;
    acknowledge(
      this.distribution,
      {
        id: 'AwsSolutions-CFR1',
        reason:
          "The CRM is used wherever the company's staff are; a country allow-list belongs to each company's policy, not to the template. Sign-in is Cognito's (threat protection on).",
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves static files only (no origin computation to protect); the API behind the app is on its own origin with API Gateway throttling and a token authorizer. A web ACL costs a fixed monthly fee per deployment.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Static files only: what users do is in the API access logs (API Gateway stage). CloudFront standard logs need a log bucket with ACLs enabled, which the other buckets of this app refuse.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate, whose security policy CloudFront fixes at TLSv1 (no minimum can be set without a custom certificate); a company putting the app on its own domain adds its certificate and TLSv1.2_2021.',
      },
    );

    if (!existsSync(join(props.distDir, 'index.html'))) {
      // Info, not a warning: with strict validation (cdk.json) a warning would fail the synth of
      // the API too, on a machine that never built the app.
      Annotations.of(this).addInfo(
        `${props.distDir}/index.html is missing: the web app is not deployed (run "npm run build --prefix web" or "npm start" once, then synth or deploy again).`,
      );
      new CfnOutput(this, 'Url', {
        value: this.url,
        description: 'The web app (not uploaded by this synth: web/dist was missing)',
      });
      return;
    }
    // Assets first, never pruned: a tab open on the previous version still loads its chunks.
    const assets = new s3deploy.BucketDeployment(this, 'Assets', {
      sources: [s3deploy.Source.asset(join(props.distDir, 'assets'))],
      destinationBucket: this.bucket,
      destinationKeyPrefix: 'assets/',
      cacheControl: [s3deploy.CacheControl.fromString(ASSET_CACHE_CONTROL)],
      prune: false,
      memoryLimit: 512,
    });
    const app = new s3deploy.BucketDeployment(this, 'App', {
      sources: [
        s3deploy.Source.asset(props.distDir, { exclude: ['assets', 'assets/**', 'config.json'] }),
        s3deploy.Source.jsonData('config.json', this.runtimeConfig),
      ],
      destinationBucket: this.bucket,
      cacheControl: [s3deploy.CacheControl.fromString(APP_CACHE_CONTROL)],
      prune: false,
      memoryLimit: 512,
    });
    app.node.addDependency(assets);
    this.deployments.push(assets, app);
    this.acknowledgeProviderFindings(app);
    new CfnOutput(this, 'Url', { value: this.url, description: 'The web app' });
  }

  /** The findings on CDK's BucketDeployment provider (its function and role), with why each is accepted. */
  private acknowledgeProviderFindings(deployment: s3deploy.BucketDeployment): void {
    const stack = Stack.of(this);
    const assetBucket = `arn:${stack.partition}:s3:::cdk-hnb659fds-assets-${stack.account}-${stack.region}/*`;
    const scope =
      "CDK's BucketDeployment provider, run by CloudFormation at deploy only to copy the built app from CDK's asset bucket into the web bucket";
    acknowledge(
      deployment.handlerRole,
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: `${scope}: CDK gives its role this managed policy for its own logs; it holds no data access.`,
      },
      ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${scope}: CDK's read (asset bucket) and read-write (web bucket) grants, on those two buckets only.`,
      })),
      {
        id: wildcardResourceFinding(this, assetBucket),
        reason: `${scope}: the uploaded app's zip files are objects of CDK's asset bucket, named by content hash.`,
      },
      {
        id: wildcardResourceFinding(this, `${this.bucket.bucketArn}/*`),
        reason: `${scope}: it writes every file of the app, so every object of the web bucket.`,
      },
    );
    const provider = stack.node.children.filter((c) =>
      CDK_PROVIDER_FUNCTION_PREFIXES.some((prefix) => c.node.id.startsWith(`Custom::${prefix.slice('Custom'.length)}`)),
    );
    for (const fn of provider) {
      acknowledge(
        fn,
        { id: 'AwsSolutions-L1', reason: `${scope}: CDK pins its runtime, and moves it with aws-cdk-lib upgrades.` },
        {
          id: 'Serverless-LambdaLatestVersion',
          reason: `${scope}: CDK pins its runtime, and moves it with aws-cdk-lib upgrades.`,
        },
        {
          id: 'Serverless-LambdaDLQ',
          reason: `${scope}: invoked by CloudFormation for its custom resource; a failure fails (and rolls back) the deploy, where whoever deploys sees it.`,
        },
        {
          id: 'Serverless-LambdaTracing',
          reason: `${scope}: CDK's code, not ours, run once per deploy; its failures are the deploy's and its logs are in CloudWatch.`,
        },
      );
    }
  }
}
