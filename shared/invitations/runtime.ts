import type { Attendee } from '#shared/appointments/domain.ts';
import { DynamoAppointmentRepository } from '#shared/appointments/dynamodb.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { effectiveDefaults, wantsEmail } from '#shared/notifications/domain.ts';
import { DynamoNotificationStore } from '#shared/notifications/dynamodb.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { fromItem } from '#shared/platform/dynamodb/table.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { DynamoInvitationStore } from './dynamodb.ts';
import type { AttendeeDirectory, InvitationDeps } from './ports.ts';

// The invitations' wiring, built once per container: appointments, the planned mails and
// tokens, and whom attendees are (users, leads and contacts by their records).

let deps: InvitationDeps | undefined;

interface PersonRecord {
  email?: string | null;
  name?: string | null;
  first_name?: string | null;
  last_name?: string | null;
}

const nameOf = (r: PersonRecord): string | null => r.name ?? ([r.first_name, r.last_name].filter(Boolean).join(' ') || null);

/** Attendees' addresses from their records; users' wish from their notification settings (the config's defaults when unset). */
function attendeeDirectory(): AttendeeDirectory {
  const table = crmTable();
  const users = new DynamoUserRepository(table);
  const settings = new DynamoNotificationStore(table);
  // Read when first needed: only the invitation consumer asks for users' wishes (and has the variable).
  const defaults = () =>
    effectiveDefaults(JSON.parse(requireEnv(RUNTIME_ENV.notificationDefaults)) as object).appointment_invitation;
  return {
    address: async (a: Attendee) => {
      if (a.type === 'email') return a.email ? { address: a.email, name: a.name } : undefined;
      if (!a.id) return undefined;
      if (a.type === 'user') {
        const user = await users.get(a.id);
        return user && user.status === 'active' ? { address: user.email.toLowerCase(), name: user.name } : undefined;
      }
      const item = await table.get(recordKey(a.type, a.id));
      const record = item ? fromItem<PersonRecord>(item) : undefined;
      return record?.email ? { address: record.email.toLowerCase(), name: nameOf(record) } : undefined;
    },
    wantsInvitations: async (userId) => {
      const chosen = (await settings.settings(userId)).channels.appointment_invitation;
      return wantsEmail(chosen ?? defaults());
    },
    userName: async (userId) => (await users.get(userId))?.name,
  };
}

export function invitationAdapters(): InvitationDeps {
  deps ??= {
    appointments: new DynamoAppointmentRepository(crmTable()),
    store: new DynamoInvitationStore(crmTable()),
    directory: attendeeDirectory(),
  };
  return deps;
}
