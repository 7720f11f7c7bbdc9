import { App, Tags, type AppProps } from 'aws-cdk-lib';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig } from '#infra/config/load.ts';
import type { CrmConfig } from '#infra/config/schema.ts';
import { addNagChecks } from '#infra/nag.ts';
import { MonitoringStack } from '#infra/monitoring-stack.ts';
import { StatefulStack } from '#infra/stateful-stack.ts';
import { StatelessStack } from '#infra/stateless-stack.ts';
import { WebStack } from '#infra/web-stack.ts';

// The CDK app (cdk.json: "node infra/app.ts"). One deployment serves one company: the config
// file says which stage, region and defaults. No lookups and no account: `cdk synth` runs
// offline without credentials; `cdk deploy` takes the account from the caller's credentials.

export interface CrmApp {
  readonly app: App;
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
  readonly monitoring: MonitoringStack;
  readonly web: WebStack;
}

export function createCrmApp(config: CrmConfig, appProps: AppProps = {}): CrmApp {
  return defineCrmApp(new App(appProps), config);
}

/** The stacks and the cdk-nag checks, on an existing app. */
export function defineCrmApp(app: App, config: CrmConfig): CrmApp {
  const env = { region: config.region };
  const stateful = new StatefulStack(app, `crm-${config.stage}-stateful`, {
    env,
    config,
    description: `CRM (${config.stage}): table, event bus, user pool and other data-holding resources`,
  });
  const stateless = new StatelessStack(app, `crm-${config.stage}-stateless`, {
    env,
    config,
    stateful,
    description: `CRM (${config.stage}): HTTP API and Lambda functions`,
  });
  stateless.addStackDependency(stateful, 'the functions and the API use the table, bus, user pool, cursor key and DLQ');
  // Last: its alarms are read from what the other two stacks hold.
  const monitoring = new MonitoringStack(app, `crm-${config.stage}-monitoring`, {
    env,
    config,
    stateful,
    stateless,
    description: `CRM (${config.stage}): alarms, their e-mail topic, the dashboard and the cost budget`,
  });
  monitoring.addStackDependency(stateful, 'alarms watch the dead-letter queue and the bus');
  monitoring.addStackDependency(stateless, 'alarms watch the functions, the API, the bus rules and their queue');
  const web = new WebStack(app, `crm-${config.stage}-web`, {
    env,
    config,
    stateful,
    stateless,
    description: `CRM (${config.stage}): the web app (private bucket, CloudFront, config.json)`,
  });
  web.addStackDependency(stateful, 'config.json names the user pool, its client and sign-in domain');
  web.addStackDependency(stateless, 'config.json and the CSP name the HTTP and WebSocket APIs');
  Tags.of(app).add('app', 'crm');
  Tags.of(app).add('crm:stage', config.stage);
  addNagChecks(app);
  return { app, stateful, stateless, monitoring, web };
}

/** The config file: context `crmConfig`, else $CRM_CONFIG, else infra/config/crm.config.json. */
export function configPath(app: App): string {
  const fromContext: unknown = app.node.tryGetContext('crmConfig');
  if (typeof fromContext === 'string' && fromContext !== '') return fromContext;
  return process.env.CRM_CONFIG ?? DEFAULT_CONFIG_PATH;
}

if (import.meta.main) {
  const app = new App();
  let config: CrmConfig;
  try {
    config = loadConfig(configPath(app));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  defineCrmApp(app, config);
  app.synth();
}
