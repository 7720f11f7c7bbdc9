import type { DomainEvent } from '#shared/kernel/events.ts';
import type { User } from './domain.ts';
import type { UserDirectory } from './ports.ts';

// The sign-in directory follows the CRM's user records through their events (outbox →
// bus → this consumer), so an invitation or a group change is never lost when Cognito is
// slow, and the API answers without waiting for it. Each step is idempotent: events arrive
// at least once.

export const USER_DIRECTORY_EVENTS = ['user.created', 'user.role_changed', 'user.disabled', 'user.enabled'] as const;

export async function syncUserDirectory(directory: UserDirectory, event: DomainEvent<User>): Promise<void> {
  const user = event.data;
  switch (event.metadata.event_type) {
    case 'user.created':
      await directory.invite(user);
      return;
    case 'user.role_changed':
      await directory.setRole(user.id, user.email, user.role, event.previous?.role ?? user.role);
      return;
    case 'user.disabled':
      await directory.setEnabled(user.id, user.email, false);
      return;
    case 'user.enabled':
      await directory.setEnabled(user.id, user.email, true);
      return;
  }
}
