import { EXPORT_RETENTION_DAYS } from '#shared/exports/domain.ts';
import { SELL_IMPORT_QUEUE_MAX_RECEIVES } from '#shared/sell-import/domain.ts';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { EVENT_SOURCE } from '#shared/kernel/events.ts';
import { ROLES, type Role } from '#shared/kernel/roles.ts';
import type { CrmConfig } from '#infra/config/schema.ts';
import { CrmFunction } from '#infra/constructs/crm-function.ts';
import {
  bulkWorkerFunction,
  cursorKeyRotationFunction,
  eventFunctions,
  exportWorkerFunction,
  sellImportWorkerFunction,
  filesCorsOrigins,
  functionSpecs,
  importWorkerFunction,
  mailDomains,
  mailSenderFunction,
  scheduledFunctions,
  type FunctionSpec,
} from '#infra/functions.ts';
import { busRules } from '#infra/rules.ts';
import { EXPORT_QUEUE_MAX_RECEIVES } from '#shared/exports/domain.ts';
import * as logs from 'aws-cdk-lib/aws-logs';
import { acknowledge } from '#infra/nag.ts';
import { eventBridgeJsonSchemas } from '#infra/docs/event-schemas.ts';
import { INBOUND_PREFIX } from '#shared/invitations/domain.ts';

/** Days received mail stays in the files bucket (it is read on arrival). */
export const INBOUND_MAIL_DAYS = 30;

// What holds data or identity: the table, the bus and its archive, the schedule group, the
// SES configuration set, the user pool, the cursor key, the files bucket, the log groups and
// the queues (work in flight, failed events awaiting redrive). Kept apart from the
// functions and the API so that those can be replaced, or the stack torn down and rebuilt,
// without touching a byte of the company's data.

export interface StatefulStackProps extends StackProps {
  readonly config: CrmConfig;
}

/** Days between two rotations of the cursor key; a cursor stays valid across one rotation. */
export const CURSOR_KEY_ROTATION_DAYS = 30;

/** A refresh with rotation may reuse the old refresh token this long (a retried request). */
export const REFRESH_TOKEN_ROTATION_GRACE = Duration.seconds(10);

/**
 * The invitation Cognito mails when an admin invites a user: the app's URL, the user name and
 * the temporary password ({username} and {####} are Cognito's placeholders, both required).
 */
export function invitationMessage(config: Pick<CrmConfig, 'account' | 'app_url'>): { subject: string; body: string } {
  const company = config.account.company_name;
  return {
    subject: `Your invitation to the ${company} CRM`,
    body: [
      `Hello,`,
      `you are invited to the ${company} CRM: <a href="${config.app_url}">${config.app_url}</a>`,
      `Sign in there with your e-mail address {username} and this temporary password: {####}`,
      `It is valid for 3 days; you then choose your own password.`,
    ].join('<br><br>'),
  };
}

/** Days an upload that was never checked (its document stays pending) is kept before S3 expires it. */
/**
 * The web client's callback and sign-out URLs: the config's `web.callback_urls`, else `app_url`
 * (the distribution lives in the stateless stack, which depends on this one: its URL cannot be
 * named here without a cycle).
 */
export function webCallbackUrls(config: Pick<CrmConfig, 'app_url' | 'web'>): string[] {
  return config.web.callback_urls ?? [config.app_url];
}

export const ABANDONED_UPLOAD_DAYS = 1;

/**
 * Days an import's files (`imports/`: the uploaded CSV, the error file) are kept: an upload
 * never started, and a finished import's file, are not kept for good (a 100,000-row import
 * runs for hours, not days; GET /imports/{id} links the error file only while it is kept).
 */
export const IMPORT_FILE_DAYS = 7;

/**
 * A work queue's visibility timeout, in multiples of its consumer's timeout (AWS's advice for a
 * Lambda event source: a message is not handed out again while a worker, retried, may still hold it).
 */
export const WORK_QUEUE_VISIBILITY_FACTOR = 6;

/** Seconds a mail request is hidden once received: six times the mail-sender's timeout. */
export const MAIL_QUEUE_VISIBILITY_SECONDS = WORK_QUEUE_VISIBILITY_FACTOR * mailSenderFunction.timeoutSeconds;
/** Receives of a mail request before its DLQ keeps it (throttled sends come back this often). */
export const MAIL_QUEUE_MAX_RECEIVES = 10;
/** Seconds a new mail request waits on the queue: a burst of assignments lands in one grouped alert. */
export const MAIL_QUEUE_DELAY_SECONDS = 5;
/** Seconds an import message is hidden once received: six times the worker's timeout. */
export const IMPORT_QUEUE_VISIBILITY_SECONDS = WORK_QUEUE_VISIBILITY_FACTOR * importWorkerFunction.timeoutSeconds;
/** Receives of an import message before its DLQ keeps it. */
export const IMPORT_QUEUE_MAX_RECEIVES = 5;
/** Seconds a bulk operations message is hidden once received: six times the worker's timeout. */
export const BULK_QUEUE_VISIBILITY_SECONDS = WORK_QUEUE_VISIBILITY_FACTOR * bulkWorkerFunction.timeoutSeconds;
/** Receives of a bulk operations message before its DLQ keeps it. */
export const BULK_QUEUE_MAX_RECEIVES = 5;
/** Seconds an export message is hidden once received: six times the worker's timeout. */
export const EXPORT_QUEUE_VISIBILITY_SECONDS = WORK_QUEUE_VISIBILITY_FACTOR * exportWorkerFunction.timeoutSeconds;
/** Seconds a Sell import message is hidden once received: past a slice's lease (SELL_IMPORT_LEASE_MS). */
export const SELL_IMPORT_QUEUE_VISIBILITY_SECONDS = WORK_QUEUE_VISIBILITY_FACTOR * sellImportWorkerFunction.timeoutSeconds;

/** How a work queue is made: its name, its one consumer and its redrive. */
export interface WorkQueueSpec {
  /** The queue is "crm-<stage>-<name>", its DLQ "crm-<stage>-<name>-dlq". */
  readonly name: string;
  /** The one function draining it: the visibility timeout is WORK_QUEUE_VISIBILITY_FACTOR times its timeout. */
  readonly consumer: FunctionSpec;
  /** Receives of a message before the DLQ keeps it. */
  readonly maxReceiveCount: number;
  /** Seconds each new message waits before a worker may receive it (default 0). */
  readonly deliveryDelaySeconds?: number;
  /** What a message is, for the DLQ's cdk-nag acknowledgement ("the mail queue"). */
  readonly holds: string;
}

/**
 * The work queues, each drained by one queue function of the stateless stack (its event source
 * mapping): keyed as `StatefulStack.workQueues` and the stateless stack name them.
 */
export const WORK_QUEUES = {
  // Every outgoing mail: a bus rule puts the outbox's requests here (its policy below).
  mail: {
    name: 'mail',
    consumer: mailSenderFunction,
    maxReceiveCount: MAIL_QUEUE_MAX_RECEIVES,
    deliveryDelaySeconds: MAIL_QUEUE_DELAY_SECONDS,
    holds: 'the mail queue',
  },
  // A started import's plan, then its batches of rows (a batch redelivered writes each row at most once).
  imports: {
    name: 'imports',
    consumer: importWorkerFunction,
    maxReceiveCount: IMPORT_QUEUE_MAX_RECEIVES,
    holds: 'the import queue',
  },
  // An operation's plan, then its batches of records (a batch redelivered acts on each record at most once).
  bulk: {
    name: 'bulk-operations',
    consumer: bulkWorkerFunction,
    maxReceiveCount: BULK_QUEUE_MAX_RECEIVES,
    holds: 'the bulk operations queue',
  },
  // A message per slice of a CSV export; its last receive marks the export failed (EXPORT_QUEUE_MAX_RECEIVES).
  exports: {
    name: 'exports',
    consumer: exportWorkerFunction,
    maxReceiveCount: EXPORT_QUEUE_MAX_RECEIVES,
    holds: 'the export queue',
  },
  // A message per slice of an admin-started Sell import; its last receive marks the import failed.
  sellImports: {
    name: 'sell-imports',
    consumer: sellImportWorkerFunction,
    maxReceiveCount: SELL_IMPORT_QUEUE_MAX_RECEIVES,
    holds: 'the Sell import queue',
  },
} as const satisfies Record<string, WorkQueueSpec>;
export type WorkQueueKey = keyof typeof WORK_QUEUES;

/** A work queue and its dead-letter queue, with the queue's literal name (for ARNs built elsewhere). */
export interface WorkQueue {
  readonly spec: WorkQueueSpec;
  readonly queueName: string;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

/** "crm-<stage>-<name>": a work queue's physical name. */
export const workQueueName = (stage: string, name: string): string => `crm-${stage}-${name}`;

/**
 * Makes a work queue and its DLQ in `scope`: both SQS-encrypted and TLS-only; the queue keeps a
 * message 4 days, hides it WORK_QUEUE_VISIBILITY_FACTOR consumer timeouts once received, and
 * moves it to the DLQ (kept 14 days) after `maxReceiveCount` receives. The monitoring stack
 * alarms on the DLQ's depth (every queue without a DLQ of its own is one). Construct ids are
 * "<Name>Queue" and "<Name>DeadLetterQueue".
 */
export function workQueue(scope: Construct, stage: string, spec: WorkQueueSpec): WorkQueue {
  const id = spec.name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());
  const queueName = workQueueName(stage, spec.name);
  const deadLetterQueue = new sqs.Queue(scope, `${id}DeadLetterQueue`, {
    queueName: `${queueName}-dlq`,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledge(deadLetterQueue, {
    id: 'Serverless-SQSRedrivePolicy',
    reason: `This queue is the dead-letter queue of ${spec.holds}; a DLQ of a DLQ would only move the problem.`,
  });
  const queue = new sqs.Queue(scope, `${id}Queue`, {
    queueName,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(4),
    ...(spec.deliveryDelaySeconds ? { deliveryDelay: Duration.seconds(spec.deliveryDelaySeconds) } : {}),
    visibilityTimeout: Duration.seconds(WORK_QUEUE_VISIBILITY_FACTOR * spec.consumer.timeoutSeconds),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: spec.maxReceiveCount },
  });
  return { spec, queueName, queue, deadLetterQueue };
}

/**
 * The physical name of a bus rule that targets a work queue ("crm-<stage>-<rule>"): fixed, so
 * that the queue's policy (in this stack) can name the rule (in the stateless stack) without a
 * reference between the stacks.
 */
export const queueRuleName = (stage: string, ruleName: string): string => `crm-${stage}-${ruleName}`;

/** The access log group of the HTTP API (`http`) or the live WebSocket API (`live`), in the stateful stack. */
export const accessLogGroupName = (stage: string, api: 'http' | 'live'): string => `/aws/vendedlogs/crm-${stage}-${api}-access`;

/** Cognito group precedence: the lowest number wins when a user is in several groups. */
const GROUP_PRECEDENCE: Record<Role, number> = { admin: 0, manager: 10, user: 20 };

export class StatefulStack extends Stack {
  readonly table: dynamodb.Table;
  readonly bus: events.EventBus;
  readonly archive: events.Archive;
  /** The event catalogue (docs/events/), one JSON Schema draft 4 per event type and version. */
  readonly schemaRegistry: eventschemas.CfnRegistry;
  readonly scheduleGroup: scheduler.ScheduleGroup;
  /** The group's name as a plain string, for policies that name schedules inside it. */
  readonly scheduleGroupName: string;
  readonly configurationSet: ses.ConfigurationSet;
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  /** The hosted sign-in domain: https://<prefix>.auth.<region>.amazoncognito.com. */
  readonly userPoolDomain: cognito.UserPoolDomain;
  readonly userPoolGroups: Record<Role, cognito.UserPoolGroup>;
  readonly cursorSecret: secretsmanager.Secret;
  /** The voice provider's webhook auth token (Twilio's): an operator puts the real value in. */
  readonly voiceSecret: secretsmanager.Secret;
  /**
   * Seals mailbox credentials (KMS envelope encryption: shared/mailboxes/sealer.ts). Retained
   * like the table: without it the sealed credentials in the table (and its backups) never open.
   */
  readonly credentialsKey: kms.Key;
  /**
   * The functions of the other stacks whose log group (/aws/lambda/crm-<stage>-<name>) is made
   * here: logs are data, and the stateless stack stays under CloudFormation's 500 resources.
   */
  readonly functionLogGroups: ReadonlySet<string>;
  /**
   * Each asynchronously invoked function's on-failure queue (bus consumers and Scheduler
   * targets: what still fails after Lambda's retries), by function name. Here, beside the
   * logs, because what they hold is data (failed events awaiting `npm run redrive`) that a
   * redeploy of the code must not lose; the stateless stack refers to them by name.
   */
  readonly onFailureQueues: ReadonlyMap<string, sqs.Queue>;
  /** Rotates the cursor key on its schedule (beside the secret: cdk-nag SMG4 looks in this stack). */
  readonly cursorKeyRotation: CrmFunction;
  readonly cursorSecretRotation: secretsmanager.CfnRotationSchedule;
  /** The sender's SES domain identity with Easy DKIM, when the config names a domain. */
  readonly emailDomainIdentity: ses.EmailIdentity | undefined;
  readonly deadLetterQueue: sqs.Queue;
  /**
   * The work queues (mail, imports, bulk operations, exports) and their DLQs. Here because what
   * they hold is work in flight that a redeploy of the code must not drop; the stateless stack
   * names them by ARN (its event source mappings and grants), sharing no export.
   */
  readonly workQueues: Readonly<Record<WorkQueueKey, WorkQueue>>;
  /** Reminders (and recurring schedules) EventBridge Scheduler could not deliver; its target role sends here. */
  readonly reminderDeadLetterQueue: sqs.Queue;
  /** The reminder DLQ's literal name ("crm-<stage>-reminders-dlq"). */
  readonly reminderDeadLetterQueueName: string;
  /**
   * Files (documents): private, encrypted, TLS only. Uploads land under uploads/ through
   * presigned PUTs; the check moves accepted ones to documents/ (infra/functions.ts FILE_PREFIXES).
   */
  readonly filesBucket: s3.Bucket;
  /** Its name as a plain string (stage, account and region): policies and rules name it literally. */
  readonly filesBucketName: string;
  /**
   * With config email.inbound: our rule in the account's active SES receipt rule set, storing
   * mail to the inbound address in the files bucket under inbound/ (never a new or replaced set).
   */
  readonly inboundReceiptRule: ses.CfnReceiptRule | undefined;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { stage } = props.config;
    // Physical names carry the stage: two stages of one company (dev and prod) may share an
    // account and region, and bus, group, configuration set and table names are unique there.
    const name = `crm-${stage}`;

    this.table = new dynamodb.Table(this, 'Table', {
      tableName: name,
      partitionKey: { name: tableSpec.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: tableSpec.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      stream: dynamodb.StreamViewType[tableSpec.streamViewType],
      timeToLiveAttribute: tableSpec.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of tableSpec.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    this.bus = new events.EventBus(this, 'Bus', { eventBusName: name });
    // Every CRM event is kept (a year by default): a new read model, or a consumer that had a
    // bug, replays its history (`npm run replay`); rules with side effects ignore replays.
    this.archive = this.bus.archive('Archive', {
      archiveName: `${name}-events`,
      description: 'Every CRM domain event, replayable',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(props.config.event_archive_retention_days),
    });
    // The event catalogue, for integrators (code bindings, discovery): the same schemas as docs/events/.
    this.schemaRegistry = new eventschemas.CfnRegistry(this, 'EventSchemaRegistry', {
      registryName: `${name}-events`,
      description: 'The CRM domain events, one schema per event type and version',
    });
    for (const [schemaName, schema] of eventBridgeJsonSchemas()) {
      // RegistryName is the registry's GetAtt: CloudFormation creates the registry first.
      new eventschemas.CfnSchema(this, `EventSchema${schemaName.replace(/[^A-Za-z0-9]/g, '')}`, {
        registryName: this.schemaRegistry.attrRegistryName,
        schemaName,
        type: 'JSONSchemaDraft4',
        description: String(schema.description),
        content: JSON.stringify(schema),
      });
    }

    // Reminders (task due, appointment start) are one-time schedules in this group.
    this.scheduleGroupName = name;
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', {
      scheduleGroupName: this.scheduleGroupName,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: name,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    });
    // Delivery, bounces, complaints, opens and clicks of every mail sent through the set
    // (F9.1, F9.4): SES publishes them to the default bus only, so a rule there forwards this
    // set's events to the CRM bus, where the email-events consumer's rule (infra/rules.ts) takes them.
    // Open and click tracking is on for every set with such a destination (SES's own tracking domain).
    const defaultBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.configurationSet.addEventDestination('EventBridge', {
      configurationSetEventDestinationName: 'crm-bus',
      destination: ses.EventDestination.eventBus(defaultBus),
      events: [
        ses.EmailSendingEvent.SEND,
        ses.EmailSendingEvent.DELIVERY,
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.REJECT,
        ses.EmailSendingEvent.DELIVERY_DELAY,
        ses.EmailSendingEvent.OPEN,
        ses.EmailSendingEvent.CLICK,
      ],
    });
    // What the forwarding could not deliver waits in its own queue (alarmed with the others).
    const sesEventsDlq = new sqs.Queue(this, 'SesEventsDeadLetterQueue', {
      queueName: `${name}-ses-events-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(sesEventsDlq, {
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the rule forwarding SES events to the CRM bus; a DLQ of a DLQ would only move the problem.',
    });
    new events.Rule(this, 'SesEventsToCrmBus', {
      eventBus: defaultBus,
      description: `Forwards the SES events of configuration set ${name} to the CRM bus`,
      eventPattern: { source: ['aws.ses'], detail: { mail: { tags: { 'ses:configuration-set': [name] } } } },
      targets: [new targets.EventBus(this.bus, { deadLetterQueue: sesEventsDlq })],
    });

    // The sender's domain, with Easy DKIM: SES mails the 3 CNAME records to publish (outputs).
    const { email } = props.config;
    this.emailDomainIdentity = email.domain
      ? new ses.EmailIdentity(this, 'EmailDomainIdentity', {
          identity: ses.Identity.domain(email.domain),
          configurationSet: this.configurationSet,
          dkimSigning: true,
        })
      : undefined;
    if (this.emailDomainIdentity) {
      this.emailDomainIdentity.dkimRecords.forEach((record, i) => {
        new CfnOutput(this, `DkimRecord${i + 1}`, {
          value: `${record.name} CNAME ${record.value}`,
          description: `DNS record ${i + 1} of 3 that verifies ${email.domain} for SES (Easy DKIM)`,
        });
      });
    }
    // Cognito's mail through SES from the configured sender: no 50-a-day cap, the company's
    // address, and an invitation that links to the app (Cognito's default sender may not
    // customise it). The identity must be verified first (README "Deploying for real").
    const invitation = invitationMessage(props.config);
    const cognitoMail = email.cognito_sends_with_ses
      ? {
          email: cognito.UserPoolEmail.withSES({
            fromEmail: email.sender_address,
            ...(email.sender_name ? { fromName: email.sender_name } : {}),
            configurationSetName: this.configurationSet.configurationSetName,
            sesRegion: props.config.region,
            ...(email.domain ? { sesVerifiedDomain: email.domain } : {}),
          }),
          userInvitation: { emailSubject: invitation.subject, emailBody: invitation.body },
        }
      : {};

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      ...cognitoMail,
      userPoolName: `${name}-users`,
      // Admins invite users (F7); nobody signs up on their own.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true }, fullname: { required: false, mutable: true } },
      // The CRM user id, set at invitation: tokens name the CRM record directly.
      customAttributes: { user_id: new cognito.StringAttribute({ mutable: false, minLen: 26, maxLen: 26 }) },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Plus: threat protection blocks sign-ins with leaked passwords and asks risky ones for
      // MFA. Priced per monthly active user, a few cents for a sales team.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // What threat protection does, said here rather than left to Cognito's defaults: leaked
    // passwords are refused; a medium-risk sign-in asks for MFA when the user has enrolled it;
    // a high-risk one requires MFA, so a user without it cannot sign in from there.
    new cognito.CfnUserPoolRiskConfigurationAttachment(this, 'UserPoolRiskConfiguration', {
      userPoolId: this.userPool.userPoolId,
      clientId: 'ALL',
      compromisedCredentialsRiskConfiguration: {
        actions: { eventAction: 'BLOCK' },
        eventFilter: ['SIGN_IN', 'PASSWORD_CHANGE', 'SIGN_UP'],
      },
      accountTakeoverRiskConfiguration: {
        actions: {
          lowAction: { eventAction: 'NO_ACTION', notify: false },
          mediumAction: { eventAction: 'MFA_IF_CONFIGURED', notify: false },
          highAction: { eventAction: 'MFA_REQUIRED', notify: false },
        },
      },
    });
    acknowledge(this.userPool, {
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is optional so that invited reps can sign in on day one; each user may enrol TOTP, and threat protection (Plus plan) requires MFA for high-risk sign-ins and asks enrolled users at medium risk.',
    });

    const groups: Partial<Record<Role, cognito.UserPoolGroup>> = {};
    for (const role of ROLES) {
      groups[role] = this.userPool.addGroup(`Group-${role}`, {
        groupName: role,
        description: `CRM role "${role}" (cognito:groups claim)`,
        precedence: GROUP_PRECEDENCE[role],
      });
    }
    this.userPoolGroups = groups as Record<Role, cognito.UserPoolGroup>;

    // A public client (a browser or a mobile app cannot keep a secret); its id is the JWT
    // authorizer's audience.
    this.userPoolClient = this.userPool.addClient('WebClient', {
      userPoolClientName: `${name}-web`,
      generateSecret: false,
      authFlows: { userSrp: true },
      // The hosted sign-in: authorization code only (the browser proves it with PKCE; no
      // implicit flow, no secret), back to the app's own URLs.
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: webCallbackUrls(props.config),
        logoutUrls: webCallbackUrls(props.config),
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(props.config.auth.refresh_token_validity_days),
      // Rotation: each refresh answers a new refresh token and retires the old one, so a stolen
      // refresh token dies at the owner's next refresh. Clients then refresh with
      // GetTokensFromRefreshToken (CDK leaves out ALLOW_REFRESH_TOKEN_AUTH).
      ...(props.config.auth.refresh_token_rotation ? { refreshTokenRotationGracePeriod: REFRESH_TOKEN_ROTATION_GRACE } : {}),
    });
    if (this.emailDomainIdentity && email.cognito_sends_with_ses) this.userPool.node.addDependency(this.emailDomainIdentity);
    // The hosted sign-in pages' domain (the code flow's authorize and token endpoints).
    this.userPoolDomain = this.userPool.addDomain('HostedSignIn', {
      cognitoDomain: { domainPrefix: props.config.web.cognito_domain_prefix ?? `${name}-${Aws.ACCOUNT_ID}` },
    });

    const logGroups = new Set<string>();
    for (const spec of functionSpecs) {
      if (spec.name === cursorKeyRotationFunction.name) continue; // made with its function below
      new logs.LogGroup(this, `${spec.name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}Logs`, {
        logGroupName: `/aws/lambda/crm-${props.config.stage}-${spec.name}`,
        retention: props.config.log_retention_days as logs.RetentionDays,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      logGroups.add(spec.name);
    }
    this.functionLogGroups = logGroups;

    const onFailureQueues = new Map<string, sqs.Queue>();
    for (const spec of [...eventFunctions, ...scheduledFunctions]) {
      const queue = new sqs.Queue(
        this,
        `${spec.name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}OnFailureQueue`,
        {
          queueName: onFailureQueueName(props.config.stage, spec.name),
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          retentionPeriod: Duration.days(14),
        },
      );
      acknowledge(queue, {
        id: 'AwsSolutions-SQS3',
        reason: `This queue is the on-failure destination of ${spec.name}'s asynchronous invocations; a DLQ of a DLQ would only move the problem.`,
      });
      onFailureQueues.set(spec.name, queue);
    }
    this.onFailureQueues = onFailureQueues;

    const workQueues = Object.fromEntries(
      Object.entries(WORK_QUEUES).map(([key, spec]) => [key, workQueue(this, stage, spec)]),
    ) as Record<WorkQueueKey, WorkQueue>;
    for (const { queue, spec } of Object.values(workQueues)) {
      // The bus rules that put events on this queue (the mail requests): CDK's SqsQueue target
      // adds no policy to a queue of another stack, so it is here, naming each rule by its fixed
      // name (its stack, the stateless one, depends on this one: no reference back).
      const rules = busRules(props.config).filter((rule) => rule.via === 'queue' && rule.target === spec.consumer.name);
      if (rules.length === 0) continue;
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'BusRulesSendMessage',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: {
            ArnEquals: {
              'aws:SourceArn': rules.map((rule) =>
                this.formatArn({
                  service: 'events',
                  resource: 'rule',
                  resourceName:
                    rule.bus === 'default' ? queueRuleName(stage, rule.name) : `${name}/${queueRuleName(stage, rule.name)}`,
                }),
              ),
            },
          },
        }),
      );
    }
    this.workQueues = workQueues;

    // The APIs' access logs: kept with the data (retained, like the table), named so that the
    // stateless stack's stages name them without a cross-stack export.
    for (const api of ['http', 'live'] as const) {
      new logs.LogGroup(this, api === 'http' ? 'HttpAccessLogs' : 'LiveAccessLogs', {
        logGroupName: accessLogGroupName(stage, api),
        retention: props.config.log_retention_days as logs.RetentionDays,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }

    this.reminderDeadLetterQueueName = `${name}-reminders-dlq`;
    this.reminderDeadLetterQueue = new sqs.Queue(this, 'ReminderDeadLetterQueue', {
      queueName: this.reminderDeadLetterQueueName,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.reminderDeadLetterQueue, {
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the reminder schedules; a DLQ of a DLQ would only move the problem.',
    });

    this.cursorSecret = new secretsmanager.Secret(this, 'CursorSecret', {
      secretName: `${name}/cursor-hmac-key`,
      description: 'HMAC key that signs the opaque list cursors of the CRM API',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    this.voiceSecret = new secretsmanager.Secret(this, 'VoiceSecret', {
      secretName: `${name}/voice-auth-token`,
      description: "The voice provider's webhook auth token (Twilio's): verifies X-Twilio-Signature",
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
    });
    acknowledge(this.voiceSecret, {
      id: 'AwsSolutions-SMG4',
      reason: 'The provider issues this token and rotates it in its own console; an operator then puts the new value here.',
    });
    // The default key policy only: the account administers the key and IAM policies grant its
    // use, so each function's role names the actions it needs (infra/constructs/crm-function.ts).
    this.credentialsKey = new kms.Key(this, 'CredentialsKey', {
      alias: `alias/${name}/mailbox-credentials`,
      description: "Seals users' mailbox credentials (IMAP passwords, OAuth refresh tokens): envelope encryption",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Rotated by a function of the registry, in this stack beside the secret. No CDK
    // RotationSchedule: it would grant the function secretsmanager:GetRandomPassword on "*";
    // the function's own grants (infra/functions.ts) are all it gets.
    this.cursorKeyRotation = new CrmFunction(this, 'CursorKeyRotationFunction', {
      spec: cursorKeyRotationFunction,
      stage,
      logRetentionDays: props.config.log_retention_days,
      resources: {
        table: this.table,
        bus: this.bus,
        cursorSecret: this.cursorSecret,
        userPool: this.userPool,
        scheduleGroupName: this.scheduleGroupName,
        configurationSet: this.configurationSet,
        config: props.config,
        corsAllowOrigins: props.config.api.cors_allow_origins,
      },
    });
    this.cursorKeyRotation.addPermission('SecretsManagerInvoke', {
      principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
      sourceAccount: this.account,
    });
    this.cursorSecretRotation = new secretsmanager.CfnRotationSchedule(this, 'CursorSecretRotation', {
      secretId: this.cursorSecret.secretArn,
      rotationLambdaArn: this.cursorKeyRotation.functionArn,
      rotationRules: { automaticallyAfterDays: CURSOR_KEY_ROTATION_DAYS },
      // The first rotation comes on schedule, not at each template change.
      rotateImmediatelyOnUpdate: false,
    });
    // The function's children include its invoke permission, which Secrets Manager needs first.
    this.cursorSecretRotation.node.addDependency(this.cursorKeyRotation);

    // Versioning off: deleting a document, or a rejected upload, must remove its bytes for good
    // (a kept noncurrent version would outlive the user's delete). Backups are the table's.
    // Bucket names are global: the account and region make this one unique.
    this.filesBucketName = `${name}-files-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
    this.filesBucket = new s3.Bucket(this, 'FilesBucket', {
      bucketName: this.filesBucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'abandoned-uploads',
          prefix: 'uploads/',
          expiration: Duration.days(ABANDONED_UPLOAD_DAYS),
        },
        { id: 'import-files', prefix: 'imports/', expiration: Duration.days(IMPORT_FILE_DAYS) },
        { id: 'incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Received mail is read once, on arrival (its answers are recorded on the records).
        { id: 'inbound-mail', prefix: INBOUND_PREFIX, expiration: Duration.days(INBOUND_MAIL_DAYS) },
        // CSV exports are downloaded once, soon after they are written (shared/exports).
        { id: 'exports', prefix: 'exports/', expiration: Duration.days(EXPORT_RETENTION_DAYS) },
      ],
      cors: [
        {
          allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET],
          allowedOrigins: filesCorsOrigins(props.config),
          allowedHeaders: ['content-type', 'content-length'],
          exposedHeaders: ['etag'],
          maxAge: 3600,
        },
      ],
    });
    // Object Created events go to the default bus (S3 publishes there), where the upload check's
    // rule picks those under uploads/ (infra/rules.ts). Set on the bucket itself: CDK's
    // eventBridgeEnabled would add a custom-resource Lambda for it.
    (this.filesBucket.node.defaultChild as s3.CfnBucket).addPropertyOverride(
      'NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled',
      true,
    );
    this.inboundReceiptRule = props.config.email.inbound
      ? this.#inboundRule(name, props.config.email, props.config.region)
      : undefined;
    acknowledge(this.filesBucket, {
      id: 'AwsSolutions-S1',
      reason:
        'No server access logs: every upload and download is a presigned URL minted by a CRM function after its visibility check (logged there, with the caller), and the Object Created events of uploads reach the bus; a log bucket would add a second bucket to guard for little more.',
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${name}-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, {
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is a dead-letter queue: the on-failure destination of the outbox publisher's stream mapping, which sends it a pointer to each batch that failed every retry or outlived the stream's 24 h. A DLQ of a DLQ would only move the problem; its depth is alarmed (crm-<stage>-monitoring).",
    });
  }

  /**
   * SES inbound: a rule added to the account's active receipt rule set (SES has one active set
   * per region, which other mail of the account may use: we never create, replace or activate
   * one), storing mail for the inbound address and the inbound domain (users' Reply-To and
   * forwarding tokens) under inbound/ of the files bucket, whose Object Created events reach the
   * inbound-mail function. SES may write only there, for this rule.
   */
  #inboundRule(name: string, email: CrmConfig['email'], region: string): ses.CfnReceiptRule {
    const inbound = email.inbound!;
    if (inbound.region && inbound.region !== region) {
      throw new Error(
        `email.inbound.region ${inbound.region} differs from the deployment's region ${region}: the receipt rule writes to the files bucket, which SES needs in its own region`,
      );
    }
    const ruleName = `${name}-inbound`;
    const policy = this.filesBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SesInboundMail',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.filesBucket.arnForObjects(`${INBOUND_PREFIX}*`)],
        conditions: {
          StringEquals: { 'AWS:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'AWS:SourceArn': `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:receipt-rule-set/${inbound.rule_set_name}:receipt-rule/${ruleName}`,
          },
        },
      }),
    );
    const rule = new ses.CfnReceiptRule(this, 'InboundReceiptRule', {
      ruleSetName: inbound.rule_set_name,
      rule: {
        name: ruleName,
        enabled: true,
        recipients: [...new Set([inbound.address, mailDomains(email).inbound_domain])],
        scanEnabled: true,
        tlsPolicy: 'Require',
        actions: [{ s3Action: { bucketName: this.filesBucketName, objectKeyPrefix: INBOUND_PREFIX } }],
      },
    });
    // SES checks that it may write to the bucket when the rule is created.
    if (policy.policyDependable) rule.node.addDependency(policy.policyDependable);
    return rule;
  }
}

/** The on-failure queue of an asynchronously invoked function: "crm-<stage>-<function>-on-failure". */
export const onFailureQueueName = (stage: string, functionName: string): string => `crm-${stage}-${functionName}-on-failure`;
