import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AdminDisableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCognito, type LocalCognito } from '#infra/local/cognito.ts';
import { useTestTable } from '#test/helpers/table.ts';

// The deploy-time bootstrap as CloudFormation drives it: a custom resource event, and the
// answer PUT to the pre-signed ResponseURL (here a local server standing in for S3). Cognito
// is the local stand-in, on its wire protocol, driven by the bootstrap's real SDK client.

const POOL = 'eu-west-1_bootstrapTest';
const FIRST = 'first@example.com';
let cognito: LocalCognito;
let server: Server;
let responseUrl: string;
const answers: Record<string, unknown>[] = [];
let handler: (event: CloudFormationCustomResourceEvent) => Promise<void>;

beforeAll(async () => {
  await useTestTable();
  cognito = await startLocalCognito({ userPoolId: POOL });
  useCognito(cognito);
  process.env.CRM_FIRST_ADMIN = JSON.stringify({ name: 'First Admin', email: FIRST });
  // The reminders' backfill (a migration the bootstrap runs) names the schedule group and its
  // target, as the bootstrap's CDK definition gives them; with no tasks it schedules nothing.
  process.env.SCHEDULE_GROUP_NAME = 'crm-test';
  process.env.REMINDER_TARGET_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:crm-test-reminders';
  process.env.SCHEDULER_ROLE_ARN = 'arn:aws:iam::123456789012:role/crm-test-scheduler';
  process.env.REMINDER_DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:crm-test-reminders-dlq';
  process.env.CRM_DEFAULT_PIPELINE = JSON.stringify((await import('#infra/config/load.ts')).loadConfig().default_pipeline);
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      answers.push({ method: req.method, ...JSON.parse(body) });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer`;
  ({ handler } = await import('#functions/deploy/bootstrap.ts'));
});

afterAll(async () => {
  await cognito?.stop();
  await new Promise<void>((r) => server.close(() => r()));
});

/** Points the bootstrap (its client is made per run) at this user pool. */
function useCognito(pool: LocalCognito): void {
  process.env.USER_POOL_ID = pool.userPoolId;
  process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = pool.endpoint;
}

const admin = (pool: LocalCognito) =>
  new CognitoIdentityProviderClient({
    endpoint: pool.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

const groupsOf = async (pool: LocalCognito, email: string) =>
  (await admin(pool).send(new AdminListGroupsForUserCommand({ UserPoolId: pool.userPoolId, Username: email }))).Groups?.map(
    (g) => g.GroupName,
  );

const creations = (pool: LocalCognito) => pool.calls.filter((c) => c.action === 'AdminCreateUser').length;

const event = (RequestType: 'Create' | 'Update' | 'Delete') =>
  ({
    RequestType,
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/crm-dev-stateless/x',
    RequestId: `req-${answers.length}`,
    LogicalResourceId: 'Bootstrap',
    ResourceType: 'Custom::CrmBootstrap',
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:crm-dev-bootstrap',
    ResourceProperties: { ServiceToken: 'x' },
    ...(RequestType === 'Create' ? {} : { PhysicalResourceId: 'crm-bootstrap', OldResourceProperties: {} }),
  }) as CloudFormationCustomResourceEvent;

describe('bootstrap custom resource', () => {
  it('invites the first admin on create, answers SUCCESS, and does nothing more on update', async () => {
    await handler(event('Create'));
    expect(answers.at(-1)).toMatchObject({
      method: 'PUT',
      Status: 'SUCCESS',
      Data: { first_admin: 'invited' },
      LogicalResourceId: 'Bootstrap',
    });
    const { identityAdapters } = await import('#shared/identity/runtime.ts');
    const id = await identityAdapters().users.findIdByEmail('first@example.com');
    expect(await identityAdapters().users.get(id!)).toMatchObject({ role: 'admin', status: 'active' });
    // The invitation itself went out from here, not only through user.created: the Cognito user
    // exists, with the CRM id, in the admin group.
    const user = await admin(cognito).send(new AdminGetUserCommand({ UserPoolId: POOL, Username: FIRST }));
    expect(user.UserAttributes).toContainEqual({ Name: 'custom:user_id', Value: id });
    expect(await groupsOf(cognito, FIRST)).toEqual(['admin']);
    expect(answers.at(-1)).toMatchObject({ Data: { first_admin_sign_in: 'invited' } });
    await handler(event('Update'));
    expect(answers.at(-1)).toMatchObject({
      Status: 'SUCCESS',
      Data: { first_admin: 'already_present', first_admin_sign_in: 'ok', pipeline: 'already_present' },
    });
    expect(await identityAdapters().users.activeAdminCount()).toBe(1);
    // One invitation only: an update neither re-invites nor resets the password.
    expect(creations(cognito)).toBe(1);
  });

  it('repairs a first admin disabled in Cognito or taken out of the admin group, without a new invitation', async () => {
    await admin(cognito).send(new AdminDisableUserCommand({ UserPoolId: POOL, Username: FIRST }));
    await admin(cognito).send(new AdminRemoveUserFromGroupCommand({ UserPoolId: POOL, Username: FIRST, GroupName: 'admin' }));
    const before = creations(cognito);
    await handler(event('Update'));
    expect(answers.at(-1)).toMatchObject({ Status: 'SUCCESS', Data: { first_admin_sign_in: 'repaired' } });
    const user = await admin(cognito).send(new AdminGetUserCommand({ UserPoolId: POOL, Username: FIRST }));
    expect(user.Enabled).toBe(true);
    expect(await groupsOf(cognito, FIRST)).toEqual(['admin']);
    expect(creations(cognito)).toBe(before);
    expect(cognito.calls.map((c) => c.action)).not.toContain('AdminSetUserPassword');
  });

  it('invites the first admin again into a new, empty user pool (the table kept, the pool lost)', async () => {
    const fresh = await startLocalCognito({ userPoolId: POOL });
    try {
      useCognito(fresh);
      await handler(event('Update'));
      expect(answers.at(-1)).toMatchObject({
        Status: 'SUCCESS',
        Data: { first_admin: 'already_present', first_admin_sign_in: 'invited' },
      });
      expect(await groupsOf(fresh, FIRST)).toEqual(['admin']);
      await handler(event('Update'));
      expect(answers.at(-1)).toMatchObject({ Data: { first_admin_sign_in: 'ok' } });
      expect(creations(fresh)).toBe(1);
    } finally {
      useCognito(cognito);
      await fresh.stop();
    }
  });

  it('answers FAILED naming USER_POOL_ID when it has no user pool, rather than report a sign-in it never checked', async () => {
    const saved = process.env.USER_POOL_ID;
    delete process.env.USER_POOL_ID;
    await handler(event('Update'));
    process.env.USER_POOL_ID = saved;
    expect(answers.at(-1)).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('USER_POOL_ID') });
  });

  it('answers FAILED with the reason instead of hanging the stack when the config is missing', async () => {
    const saved = process.env.CRM_FIRST_ADMIN;
    delete process.env.CRM_FIRST_ADMIN;
    await handler(event('Update'));
    process.env.CRM_FIRST_ADMIN = saved;
    expect(answers.at(-1)).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('CRM_FIRST_ADMIN') });
  });

  it('answers SUCCESS on delete without touching the users', async () => {
    await handler(event('Delete'));
    expect(answers.at(-1)).toMatchObject({ Status: 'SUCCESS', Data: {} });
  });
});
