import { describe, expect, it } from 'vitest';
import { domainEvent } from '#shared/kernel/events.ts';
import type { Role } from '#shared/kernel/roles.ts';
import type { User } from '#shared/identity/domain.ts';
import type { UserDirectory } from '#shared/identity/ports.ts';
import { syncUserDirectory } from '#shared/identity/directory-sync.ts';

class RecordingDirectory implements UserDirectory {
  readonly calls: string[] = [];
  async invite(user: Pick<User, 'email' | 'role'>) {
    this.calls.push(`invite ${user.email} ${user.role}`);
  }
  async setRole(_id: string, email: string, role: Role, previous: Role) {
    this.calls.push(`role ${email} ${previous}->${role}`);
  }
  async setEnabled(_id: string, email: string, enabled: boolean) {
    this.calls.push(`${enabled ? 'enable' : 'disable'} ${email}`);
  }
}

const user: User = {
  id: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
  name: 'Rita',
  email: 'rita@example.com',
  role: 'manager',
  status: 'active',
  reports_to: null,
  team_id: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  version: 2,
};
const ctx = {
  actor_id: 'admin',
  correlation_id: 'c',
  now: new Date('2026-01-01T00:00:00Z'),
  newId: () => '01ARZ3NDEKTSV4RRFFQ69G5FAW',
};
const resource = { resource_type: 'user', resource_id: user.id };

describe('syncUserDirectory', () => {
  it.each([
    [domainEvent(ctx, 'user.created', resource, user), 'invite rita@example.com manager'],
    [
      domainEvent(ctx, 'user.role_changed', resource, user, { previous: { role: 'user' } }),
      'role rita@example.com user->manager',
    ],
    [domainEvent(ctx, 'user.disabled', resource, { ...user, status: 'inactive' as const }), 'disable rita@example.com'],
    [domainEvent(ctx, 'user.enabled', resource, user), 'enable rita@example.com'],
  ])('%#: follows %s', async (event, expected) => {
    const directory = new RecordingDirectory();
    await syncUserDirectory(directory, event);
    expect(directory.calls).toEqual([expected]);
  });

  it('ignores events it does not handle', async () => {
    const directory = new RecordingDirectory();
    await syncUserDirectory(directory, domainEvent(ctx, 'user.updated', resource, user));
    expect(directory.calls).toEqual([]);
  });
});
