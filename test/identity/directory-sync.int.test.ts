import type { EventBridgeEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { User } from '#shared/identity/domain.ts';
import { MalformedEventError } from '#shared/platform/consumers/errors.ts';
import { capturingOutput, rejection } from '#test/helpers/captured-output.ts';
import { useTestTable } from '#test/helpers/table.ts';

// The user-directory-sync Lambda as the bus calls it, with no user pool (the local stand-in)
// and its dedupe markers on DynamoDB Local. The handler module reads its environment when
// imported, so it is imported after useTestTable.

type Handler = (event: EventBridgeEvent<string, DomainEvent>) => Promise<unknown>;
let handler: Handler;

beforeAll(async () => {
  await useTestTable();
  ({ handler } = (await import('#functions/events/user-directory-sync.ts')) as unknown as { handler: Handler });
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
