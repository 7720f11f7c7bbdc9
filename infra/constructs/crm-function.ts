import { dirname, relative } from 'node:path';
import { ArnFormat, AssetHashType, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { bundleFunction, REPO_ROOT } from '#infra/build/bundle.ts';
import type { CrmConfig } from '#infra/config/schema.ts';
import {
  entryPath,
  FILE_PREFIXES,
  functionEnvironment,
  type EnvironmentValues,
  type FunctionNeeds,
  type FunctionSpec,
  type LogLevel,
  type TableAccess,
} from '#infra/functions.ts';
import { INBOUND_PREFIX } from '#shared/invitations/domain.ts';
import { CREDENTIAL_PURPOSE } from '#shared/mailboxes/sealer.ts';
import { acknowledge, wildcardResourceFinding } from '#infra/nag.ts';

// Every CRM Lambda is a CrmFunction: the runtime, architecture, bundling, tracing, logging and
// environment defaults live here once. Its environment and permissions both come from its
// registry entry's needs (infra/functions.ts), applied here and nowhere else: no AWS managed
// policy, no wildcard it does not need, no variable it does not declare.

export const CRM_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** The retention periods CloudWatch Logs accepts; any other number fails at deploy time. */
const LOG_RETENTION_DAYS = new Set(
  Object.values(logs.RetentionDays).filter((days): days is number => typeof days === 'number' && days > 0),
);

/** The deployed resources a function's needs refer to (FunctionNeeds in infra/functions.ts). */
export interface CrmResources {
  /**
   * Functions whose log group the stateful stack holds (by name: /aws/lambda/<function name>);
   * the others get theirs beside them. Keeps the stateless stack under CloudFormation's 500
   * resources, and logs are data: they outlive a redeploy of the code.
   */
  readonly statefulLogGroups?: ReadonlySet<string>;
  readonly table: dynamodb.ITable;
  readonly bus: events.IEventBus;
  readonly cursorSecret: secretsmanager.ISecret;
  /** The voice provider's webhook auth token; required by `voiceSecret`. */
  readonly voiceSecret?: secretsmanager.ISecret;
  /** The KMS key that seals mailbox credentials; required by `credentialsKey`. */
  readonly credentialsKey?: kms.IKey;
  readonly userPool: cognito.IUserPool;
  /** The app client whose tokens the API accepts; required by `tokenVerifier`. */
  readonly userPoolClientId?: string;
  /** The plain name the stateful stack gave the group, so policies name it literally. */
  readonly scheduleGroupName: string;
  /** The role Scheduler assumes to invoke reminder targets; required by `scheduleGroup`. */
  readonly schedulerTargetRole?: iam.IRole;
  /** What reminder schedules invoke (the reminders function's ARN); required by `scheduleGroup`. */
  readonly reminderTargetArn?: string;
  /** Where Scheduler parks a reminder it could not deliver; required by `scheduleGroup`. */
  readonly reminderDeadLetterQueue?: sqs.IQueue;
  readonly configurationSet: ses.IConfigurationSet;
  /** The live notifications WebSocket API's stage; required by `live`. */
  readonly webSocketStage?: apigwv2.IWebSocketStage;
  /**
   * The files bucket's name as the stateful stack sets it (a plain string of the stage and
   * pseudo parameters, so policies name it literally); required by `files`.
   */
  readonly filesBucketName?: string;
  /** The import queue (batches of CSV rows); required by `importQueue`. */
  readonly importQueue?: sqs.IQueue;
  /** The bulk operations queue (batches of records); required by `bulkQueue`. */
  readonly bulkQueue?: sqs.IQueue;
  /** The export queue (slices of CSV exports); required by `exportQueue`. */
  readonly exportQueue?: sqs.IQueue;
  /** The Sell import queue (slices of Sell imports); required by `sellImportQueue`. */
  readonly sellImportQueue?: sqs.IQueue;
  readonly config: CrmConfig;
  /** Browser origins allowed by CORS ("*" for any). */
  readonly corsAllowOrigins: readonly string[];
}

export interface CrmFunctionProps {
  readonly spec: FunctionSpec;
  /** The deployment's stage: function names are "crm-<stage>-<name>". */
  readonly stage: string;
  /** From the config's `log_retention_days`. */
  readonly logRetentionDays: number;
  readonly logLevel?: LogLevel;
  /** What the spec's needs are granted on, and their variables valued from. */
  readonly resources: CrmResources;
}

// Request paths never scan (ENGINEERING.md): the grants leave Scan out, so a Scan that slips
// in fails loudly in AWS instead of reading the whole table. Transactions need no actions of
// their own: TransactWriteItems/TransactGetItems are authorised per item by these.
const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

export class CrmFunction extends lambda.Function {
  readonly spec: FunctionSpec;
  readonly executionRole: iam.Role;
  readonly functionLogGroup: logs.ILogGroup;
  readonly #resources: CrmResources;
  readonly #logLevel: LogLevel;

  constructor(scope: Construct, id: string, props: CrmFunctionProps) {
    const { spec, stage } = props;
    if (!LOG_RETENTION_DAYS.has(props.logRetentionDays)) {
      throw new Error(
        `log_retention_days: ${props.logRetentionDays} is not a CloudWatch Logs retention; use one of ${[...LOG_RETENTION_DAYS].sort((a, b) => a - b).join(', ')}`,
      );
    }
    const functionName = `crm-${stage}-${spec.name}`;
    const logLevel = props.logLevel ?? 'INFO';
    const entry = entryPath(spec);

    // The role and the log group are made before the function (super() must come first), as
    // siblings named after it. The role starts empty: no AWSLambdaBasicExecutionRole, whose
    // log permissions cover every log group of the account.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${functionName}`,
    });
    // Logs expire by retention; a retained group with a fixed name would block redeploying.
    const logGroup = props.resources.statefulLogGroups?.has(spec.name)
      ? logs.LogGroup.fromLogGroupName(scope, `${id}Logs`, `/aws/lambda/${functionName}`)
      : new logs.LogGroup(scope, `${id}Logs`, {
          logGroupName: `/aws/lambda/${functionName}`,
          retention: props.logRetentionDays as logs.RetentionDays,
          removalPolicy: RemovalPolicy.DESTROY,
        });
    logGroup.grantWrite(role);

    super(scope, id, {
      functionName,
      description: spec.description,
      runtime: CRM_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(dirname(entry), {
        // The hash of the bundle, not of the entry's folder (CDK's default with bundling): a
        // change in shared/ or in a dependency must make a new asset, or deploy skips it.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never pulled: local bundling always succeeds or throws (no Docker on the machine).
          image: CRM_RUNTIME.bundlingImage,
          // Not run either, but part of CDK's asset cache key: without the entry in it, two
          // functions from the same folder would share one bundle.
          command: ['crm-bundle', relative(REPO_ROOT, entry)],
          local: {
            tryBundle(outputDir: string): boolean {
              bundleFunction({ entry, outdir: outputDir });
              return true;
            },
          },
        },
      }),
      memorySize: spec.memorySize ?? 1024,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role,
      logGroup,
      // JSON logs let Lambda filter by level; its level and Powertools' must agree, or Lambda
      // drops what Powertools writes.
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      tracing: lambda.Tracing.ACTIVE,
      environment: functionEnvironment(spec, environmentValues(props.resources, logLevel)),
    });
    this.spec = spec;
    this.executionRole = role;
    this.functionLogGroup = logGroup;
    if (props.resources.statefulLogGroups?.has(spec.name)) {
      // An imported group's ARN ends in ":*" (its streams), as the owned group's GetAtt does.
      acknowledge(role, {
        id: wildcardResourceFinding(this, logGroup.logGroupArn),
        reason: `Writes to its own log group ${`/aws/lambda/${functionName}`} (kept in the stateful stack) only: ":*" names its log streams, which Lambda creates.`,
      });
    }
    this.#resources = props.resources;
    this.#logLevel = logLevel;
    this.#grantNeeds(spec.needs, props.resources);

    acknowledge(role, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (Resource must be *).',
    });
  }

  /**
   * Needs beyond the registry entry's, with their variables and grants: for probes in tests.
   * A deployed function declares all of its needs in infra/functions.ts (the deploy-truth
   * test compares each template's variables with the registry).
   */
  addNeeds(needs: FunctionNeeds, resources: Partial<CrmResources> = {}): this {
    const all = { ...this.#resources, ...resources };
    const extra = functionEnvironment({ ...this.spec, needs }, environmentValues(all, this.#logLevel));
    for (const [name, value] of Object.entries(extra)) this.addEnvironment(name, value);
    this.#grantNeeds(needs, all);
    return this;
  }

  /** The grants of each need; their variables are already set (functionEnvironment). */
  #grantNeeds(needs: FunctionNeeds, resources: CrmResources): void {
    if (needs.table) this.#grantTable(resources.table, needs.table);
    // cursorSecret: the function reads the key at run time (CURSOR_SECRET_ID is the ARN, not
    // the value), so the value never shows in its configuration and a rotation needs no deploy.
    if (needs.cursorSecret) this.#grantCursorSecret(resources.cursorSecret, needs.cursorSecret);
    if (needs.voiceSecret) {
      const secret = required(resources.voiceSecret, 'voiceSecret');
      this.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
      );
    }
    if (needs.credentialsKey)
      this.#grantCredentialsKey(required(resources.credentialsKey, 'credentialsKey'), needs.credentialsKey);
    if (needs.connect && resources.config.connect) this.#grantConnect(resources.config.connect.instance_arn);
    if (needs.mailboxOAuth) this.#grantMailboxOAuthSecrets(Object.values(resources.config.mailbox_oauth));
    if (needs.bus) resources.bus.grantPutEventsTo(this);
    const poolActions = [
      ...(needs.userPool ?? []),
      ...(needs.mfaCheck && resources.config.auth.admin_mfa_required ? ['cognito-idp:AdminGetUser'] : []),
    ];
    if (poolActions.length > 0) resources.userPool.grant(this, ...new Set(poolActions));
    if (needs.scheduleGroup) {
      if (!resources.schedulerTargetRole) {
        throw new Error(`function "${this.spec.name}" needs the schedule group, but no scheduler target role was given`);
      }
      this.#grantScheduleGroup(resources.scheduleGroupName, resources.schedulerTargetRole);
    }
    if (needs.mailer)
      this.#grantMailer(resources.configurationSet, resources.config.email.sender_address, needs.mailer === 'paced');
    if (needs.suppressionList) this.#grantSuppressionRead();
    if (needs.live) this.#grantLive(liveStage(this.spec, resources));
    if (needs.files) {
      if (!resources.filesBucketName) throw new Error(`function "${this.spec.name}" needs the files bucket, but none was given`);
      this.#grantFiles(resources.filesBucketName);
    }
    if (needs.inboundMail) {
      if (!resources.filesBucketName)
        throw new Error(`function "${this.spec.name}" needs the inbound mail, but no files bucket was given`);
      this.#grantInboundMail(resources.filesBucketName);
    }
    if (needs.importQueue) required(resources.importQueue, 'importQueue').grantSendMessages(this);
    if (needs.bulkQueue) required(resources.bulkQueue, 'bulkQueue').grantSendMessages(this);
    if (needs.exportQueue) required(resources.exportQueue, 'exportQueue').grantSendMessages(this);
    if (needs.sellImportQueue) required(resources.sellImportQueue, 'sellImportQueue').grantSendMessages(this);
  }

  /**
   * Data keys of the credentials key only, and only under an encryption context whose purpose
   * is the mailbox credentials' (the sealer always sends it): the key cannot be used to seal or
   * open anything else through this role. `seal` generates data keys, `open` decrypts them, `sealAndOpen` both.
   */
  #grantCredentialsKey(key: kms.IKey, access: 'seal' | 'open' | 'sealAndOpen'): void {
    const actions = { seal: ['kms:GenerateDataKey'], open: ['kms:Decrypt'], sealAndOpen: ['kms:GenerateDataKey', 'kms:Decrypt'] };
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: actions[access],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:EncryptionContext:purpose': CREDENTIAL_PURPOSE } },
      }),
    );
  }

  /** DescribeContact on the configured instance's contacts only (contact ids are Connect's, unknown at deploy). */
  #grantConnect(instanceArn: string): void {
    const contacts = `${instanceArn}/contact/*`;
    this.addToRolePolicy(new iam.PolicyStatement({ actions: ['connect:DescribeContact'], resources: [contacts] }));
    acknowledge(this.executionRole, {
      id: wildcardResourceFinding(this, contacts),
      reason:
        "Contact ids are Connect's (one per call, not known at deploy time); only DescribeContact, and only the configured instance's contacts.",
    });
  }

  /**
   * Reading each mailbox OAuth provider's client secret, named in the config (an operator
   * creates it; the stacks do not own it). A secret's ARN ends in "-" and six random characters.
   */
  #grantMailboxOAuthSecrets(providers: readonly { client_secret_name: string }[]): void {
    if (providers.length === 0) return;
    const secrets = providers.map((p) =>
      Stack.of(this).formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: `${p.client_secret_name}-??????`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    this.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets }));
  }

  /** Reads of received mail under INBOUND_PREFIX only: no writes, deletes or listing. */
  #grantInboundMail(bucketName: string): void {
    const objects = `arn:${Stack.of(this).partition}:s3:::${bucketName}/${INBOUND_PREFIX}*`;
    this.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }));
    acknowledge(this.executionRole, {
      id: wildcardResourceFinding(this, objects),
      reason: `Received mail is named by SES's message id under ${INBOUND_PREFIX} (not known at deploy time); only reads, and no other key of the bucket.`,
    });
  }

  /** Reading the account-level SES suppression list, which supports no resource-level permissions. */
  #grantSuppressionRead(): void {
    this.addToRolePolicy(new iam.PolicyStatement({ actions: ['ses:GetSuppressedDestination'], resources: ['*'] }));
    acknowledge(this.executionRole, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'SES GetSuppressedDestination (the account-level suppression list) supports no resource-level permissions.',
    });
  }

  /**
   * PostToConnection on the WebSocket stage's connections only: POST /@connections/{id} (no
   * GET or DELETE: a gone connection is dropped from the table, not asked about).
   */
  #grantLive(stage: apigwv2.IWebSocketStage): void {
    const connections = Stack.of(this).formatArn({
      service: 'execute-api',
      resource: stage.api.apiId,
      resourceName: `${stage.stageName}/POST/@connections/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.addToRolePolicy(new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [connections] }));
    acknowledge(this.executionRole, {
      id: wildcardResourceFinding(this, connections),
      reason: `PostToConnection names a connection id API Gateway makes at connect time; the grant covers POST on the connections of the one live WebSocket stage "${stage.stageName}".`,
    });
  }

  /** Object reads, writes and deletes under FILE_PREFIXES only: no listing, no bucket settings. */
  #grantFiles(bucketName: string): void {
    const partition = Stack.of(this).partition;
    const objects = FILE_PREFIXES.map((prefix) => `arn:${partition}:s3:::${bucketName}/${prefix}*`);
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: objects }),
    );
    for (const resource of objects) {
      acknowledge(this.executionRole, {
        id: wildcardResourceFinding(this, resource),
        reason: `Files are named by document id under ${FILE_PREFIXES.join(' and ')} (not known at deploy time); no other key of the bucket is reachable.`,
      });
    }
  }

  /**
   * `read`: GetSecretValue on the one secret (AWSCURRENT and AWSPREVIOUS alike). `rotate`: the
   * calls of Secrets Manager's rotation protocol on it, and no GetRandomPassword (the rotation
   * makes its key with node:crypto), so nothing on `*`.
   */
  #grantCursorSecret(secret: secretsmanager.ISecret, access: 'read' | 'rotate'): void {
    const actions =
      access === 'read'
        ? ['secretsmanager:GetSecretValue']
        : [
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
          ];
    this.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [secret.secretArn] }));
  }

  /** Item-level access to the table and to each index of the table spec, named one by one (no ".../index/*"), without Scan. */
  #grantTable(table: dynamodb.ITable, access: TableAccess): void {
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...TABLE_READ_ACTIONS, ...(access === 'readWrite' ? TABLE_WRITE_ACTIONS : [])],
        resources: [
          table.tableArn,
          ...tableSpec.globalSecondaryIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`),
        ],
      }),
    );
  }

  /**
   * Create/delete of the schedules in the group (reminder names are made per task or
   * appointment, hence "<group>/*"), and passing the role Scheduler assumes to invoke the
   * target, to Scheduler only.
   */
  #grantScheduleGroup(groupName: string, targetRole: iam.IRole): void {
    const schedules = Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${groupName}/*` });
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'], resources: [schedules] }),
    );
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [targetRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    acknowledge(this.executionRole, {
      id: wildcardResourceFinding(this, schedules),
      reason: `Reminder schedules are created and deleted by name inside the one schedule group "${groupName}"; their names are not known at deploy time.`,
    });
  }

  /** Sending from that address (or its verified domain) through that configuration set only. */
  #grantMailer(configurationSet: ses.IConfigurationSet, senderAddress: string, paced: boolean): void {
    const stack = Stack.of(this);
    const domain = senderAddress.slice(senderAddress.lastIndexOf('@') + 1);
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: senderAddress }),
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: domain }),
          stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: configurationSet.configurationSetName }),
        ],
      }),
    );
    if (!paced) return;
    // The mail-sender paces itself to the account's MaxSendRate and skips suppressed addresses.
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ses:GetAccount', 'ses:GetSuppressedDestination'], resources: ['*'] }),
    );
    acknowledge(this.executionRole, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'SES GetAccount (the sending quota) and GetSuppressedDestination (the account-level suppression list) support no resource-level permissions.',
    });
  }
}

/**
 * The deployed values of the variables, as CDK tokens. Getters: a value is read (and its
 * cross-stack reference made) only for a function that declares its variable.
 */
function environmentValues(resources: CrmResources, logLevel: LogLevel): EnvironmentValues {
  return {
    get tableName() {
      return resources.table.tableName;
    },
    get cursorSecret() {
      return resources.cursorSecret.secretArn;
    },
    get voiceSecret() {
      return required(resources.voiceSecret, 'voiceSecret').secretArn;
    },
    get credentialsKey() {
      return required(resources.credentialsKey, 'credentialsKey').keyArn;
    },
    get eventBusName() {
      return resources.bus.eventBusName;
    },
    get userPoolId() {
      return resources.userPool.userPoolId;
    },
    get userPoolClientId() {
      return required(resources.userPoolClientId, 'userPoolClientId');
    },
    scheduleGroupName: resources.scheduleGroupName,
    get reminderTargetArn() {
      return required(resources.reminderTargetArn, 'reminderTargetArn');
    },
    get schedulerRoleArn() {
      return required(resources.schedulerTargetRole, 'schedulerTargetRole').roleArn;
    },
    get reminderDeadLetterQueueArn() {
      return required(resources.reminderDeadLetterQueue, 'reminderDeadLetterQueue').queueArn;
    },
    get sesConfigurationSet() {
      return resources.configurationSet.configurationSetName;
    },
    senderAddress: resources.config.email.sender_address,
    get filesBucketName() {
      if (!resources.filesBucketName) throw new Error('FILES_BUCKET_NAME: no files bucket was given');
      return resources.filesBucketName;
    },
    get importQueueUrl() {
      return required(resources.importQueue, 'importQueue').queueUrl;
    },
    get bulkQueueUrl() {
      return required(resources.bulkQueue, 'bulkQueue').queueUrl;
    },
    get exportQueueUrl() {
      return required(resources.exportQueue, 'exportQueue').queueUrl;
    },
    get sellImportQueueUrl() {
      return required(resources.sellImportQueue, 'sellImportQueue').queueUrl;
    },
    corsAllowOrigins: resources.corsAllowOrigins.join(','),
    get liveCallbackUrl() {
      return liveStage(undefined, resources).callbackUrl;
    },
    config: resources.config,
    logLevel,
  };
}

function liveStage(spec: FunctionSpec | undefined, resources: CrmResources): apigwv2.IWebSocketStage {
  if (!resources.webSocketStage) {
    throw new Error(`function "${spec?.name ?? '?'}" needs live delivery, but no WebSocket stage was given`);
  }
  return resources.webSocketStage;
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`a function needs the schedule group, but no ${name} was given in its resources`);
  return value;
}
