import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { EVENT_SOURCE } from '#shared/kernel/events.ts';
import { ROLES, type Role } from '#shared/kernel/roles.ts';
import type { CrmConfig } from '#infra/config/schema.ts';
import { acknowledge } from '#infra/nag.ts';
import { eventBridgeJsonSchemas } from '#infra/docs/event-schemas.ts';

// What holds data or identity: the table, the bus and its archive, the schedule group, the
// SES configuration set, the user pool, the cursor key and the DLQ. Kept apart from the
// functions and the API so that those can be replaced, or the stack torn down and rebuilt,
// without touching a byte of the company's data.

export interface StatefulStackProps extends StackProps {
  readonly config: CrmConfig;
}

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
  readonly userPoolGroups: Record<Role, cognito.UserPoolGroup>;
  readonly cursorSecret: secretsmanager.Secret;
  readonly deadLetterQueue: sqs.Queue;

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

    this.userPool = new cognito.UserPool(this, 'UserPool', {
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
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    this.cursorSecret = new secretsmanager.Secret(this, 'CursorSecret', {
      secretName: `${name}/cursor-hmac-key`,
      description: 'HMAC key that signs the opaque list cursors of the CRM API',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    acknowledge(this.cursorSecret, {
      id: 'AwsSolutions-SMG4',
      reason:
        'Not rotated: no rotation function exists. The key only signs list cursors (no credential, no user data), and a cursor names positions inside partitions the server recomputes for the caller, so a leaked key cannot widen what anyone reads. Rotating by hand takes a new secret value plus a change to every function using it, since CloudFormation re-resolves the dynamic reference only when the function resource changes; cursors in flight then get 422 invalid_cursor.',
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
}
