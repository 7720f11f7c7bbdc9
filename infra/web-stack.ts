import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CrmConfig } from '#infra/config/schema.ts';
import { WEB_DIST_CONTEXT, WebHosting } from '#infra/constructs/web-hosting.ts';
import { WEB_DIST } from '#infra/local/web-build.ts';
import type { StatefulStack } from '#infra/stateful-stack.ts';
import type { StatelessStack } from '#infra/stateless-stack.ts';

// The web app's stack: its own, because the stateless stack is near CloudFormation's 500
// resources, and because it reads endpoints from both other stacks (its config.json).

export interface WebStackProps extends StackProps {
  readonly config: CrmConfig;
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
  /** The built web app; by default context `crmWebDist`, else web/dist. */
  readonly webDist?: string;
}

export class WebStack extends Stack {
  readonly web: WebHosting;

  constructor(scope: Construct, id: string, props: WebStackProps) {
    super(scope, id, props);
    const { config, stateful, stateless } = props;
    const fromContext: unknown = this.node.tryGetContext(WEB_DIST_CONTEXT);
    this.web = new WebHosting(this, 'Web', {
      stage: config.stage,
      distDir: props.webDist ?? (typeof fromContext === 'string' && fromContext !== '' ? fromContext : WEB_DIST),
      apiUrl: `https://${stateless.httpApi.apiId}.execute-api.${this.region}.${this.urlSuffix}`,
      webSocketUrl: stateless.webSocketStage.url,
      cognito: {
        userPoolId: stateful.userPool.userPoolId,
        clientId: stateful.userPoolClient.userPoolClientId,
        domainUrl: stateful.userPoolDomain.baseUrl(),
      },
      mailboxOAuthProviders: Object.keys(config.mailbox_oauth),
    });
  }
}
