import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock, type Call, type Clock } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { RelatedRecordType } from '#shared/kernel/related-records.ts';
import { recordKey, userKey } from '#shared/platform/dynamodb/keys.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';

// The small organisation the table-level tests act in: an admin, a manager whose direct reports
// are rep1 and rep2, solo (nobody's report) and gone (a deactivated user), each with a fresh id.

/** Who acts in a test (gone exists to be refused as an assignee, never acts). */
export type Who = 'admin' | 'manager' | 'rep1' | 'rep2' | 'solo';

/** The organisation's ids and how each member calls a use case. */
export interface TestOrg {
  ids: Record<Who | 'gone', string>;
  principal(who: Who): Principal;
  /** A call as `who`, at the clock's time (system time by default), with fresh ids. */
  call(who: Who, clock?: Clock): Call;
}

export function testOrg(): TestOrg {
  const ids = { admin: newId(), manager: newId(), rep1: newId(), rep2: newId(), solo: newId(), gone: newId() };
  const principal = (who: Who): Principal => ({
    user_id: ids[who],
    email: `${who}@example.com`,
    role: who === 'admin' ? 'admin' : who === 'manager' ? 'manager' : 'user',
    direct_reports: who === 'manager' ? [ids.rep1, ids.rep2] : [],
  });
  return { ids, principal, call: (who, clock = systemClock) => callContext(principal(who), 'test', clock, () => newId()) };
}

/** Writes the members as the identity module stores users (assignees must be active; gone is disabled). */
export async function putOrgUsers(table: Table, org: TestOrg): Promise<void> {
  await table.write(
    Object.entries(org.ids).map(([who, id]) => ({
      type: 'put' as const,
      item: { ...userKey(id), kind: 'user', id, status: who === 'gone' ? 'disabled' : 'active' },
    })),
  );
}

/** A lead, contact or deal as its module stores it, reduced to what visibility reads: its owner. */
export async function putOwnedRecord(
  table: Table,
  type: RelatedRecordType,
  ownerId: string,
): Promise<{ resource_type: RelatedRecordType; resource_id: string }> {
  const id = newId();
  await table.write([{ type: 'put', item: { ...recordKey(type, id), kind: type, id, owner_id: ownerId, version: 1 } }]);
  return { resource_type: type, resource_id: id };
}
