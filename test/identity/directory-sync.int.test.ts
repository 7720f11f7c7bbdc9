import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCognito, type LocalCognito } from '#infra/local/cognito.ts';
import { domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { User } from '#shared/identity/domain.ts';
import { MalformedEventError } from '#shared/platform/consumers/errors.ts';
import { capturingOutput, rejection } from '#test/helpers/captured-output.ts';
import { useTestTable } from '#test/helpers/table.ts';

// The user-directory-sync Lambda as the bus calls it: the real Cognito client against the local
// cloud's Cognito stand-in, and its dedupe markers on DynamoDB Local. The handler module reads
// its environment when imported, so it is imported after both are set.

type Handler = (event: EventBridgeEvent<string, DomainEvent>) => Promise<unknown>;
let handler: Handler;

let cognito: LocalCognito;

beforeAll(async () => {
  await useTestTable();
  cognito = await startLocalCognito({ userPoolId: 'us-east-1_crmTest01' });
  process.env.USER_POOL_ID = 'us-east-1_crmTest01';
  process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = cognito.endpoint;
  ({ handler } = (await import('#functions/events/user-directory-sync.ts')) as unknown as { handler: Handler });
});

afterAll(async () => {
  await cognito?.stop();
  delete process.env.USER_POOL_ID;
  delete process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER;
});

const user = (): User => ({
  id: newId(),
  name: 'Rita',
  email: `rita-${newId()}@example.com`,
  role: 'manager',
  status: 'active',
  reports_to: null,
  team_id: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  version: 1,
});

const ctx = { actor_id: 'admin', correlation_id: 'c', now: new Date(), newId: () => newId() };
const delivered = (event: DomainEvent): EventBridgeEvent<string, DomainEvent> => ({
  version: '0',
  id: newId(),
  'detail-type': event.metadata.event_type,
  source: 'crm',
  account: '123456789012',
  time: event.metadata.occurred_at,
  region: 'us-east-1',
  resources: [],
  detail: event,
});

describe('user-directory-sync consumer', () => {
  it('follows a user event once: a redelivery of the same event is skipped', async () => {
    const u = user();
    const created = domainEvent(ctx, 'user.created', { resource_type: 'user', resource_id: u.id }, u);
    expect(await handler(delivered(created))).toBe('processed');
    expect(await handler(delivered(created))).toBe('duplicate');
    // The effect happened once, in the (stand-in) user pool.
    expect(cognito.users().filter((x) => x.username === u.email)).toHaveLength(1);
    expect(cognito.calls.filter((c) => c.action === 'AdminCreateUser' && JSON.stringify(c).includes(u.email))).toHaveLength(1);
  });

  it('refuses a user event whose data it cannot read, before touching the directory', async () => {
    const u = user();
    const changed = domainEvent(ctx, 'user.role_changed', { resource_type: 'user', resource_id: u.id }, u, {
      previous: { role: 'owner' as never },
    });
    const { result: error } = await capturingOutput(() => rejection(handler(delivered(changed))));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect((error as MalformedEventError).issues).toEqual([expect.stringMatching(/^previous\.role:/)]);
  });
});
