import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestTable } from '#test/helpers/table.ts';

// The deploy-time bootstrap as CloudFormation drives it: a custom resource event, and the
// answer PUT to the pre-signed ResponseURL (here a local server standing in for S3).

let server: Server;
let responseUrl: string;
const answers: Record<string, unknown>[] = [];
let handler: (event: CloudFormationCustomResourceEvent) => Promise<void>;

beforeAll(async () => {
  await useTestTable();
  process.env.CRM_FIRST_ADMIN = JSON.stringify({ name: 'First Admin', email: 'first@example.com' });
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

afterAll(() => new Promise<void>((r) => server.close(() => r())));

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
    await handler(event('Update'));
    expect(answers.at(-1)).toMatchObject({
      Status: 'SUCCESS',
      Data: { first_admin: 'already_present', pipeline: 'already_present' },
    });
    expect(await identityAdapters().users.activeAdminCount()).toBe(1);
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
