import type { ItemKeys, Key } from './table.ts';

// Hand-written key builders, one per record kind: the only place that knows how a record
// sits in the table and its indexes (see table-spec.ts for the role of each GSI).

export const userKey = (id: string): Key => ({ pk: `user#${id}`, sk: 'user' });
export const userEmailKey = (email: string): Key => ({ pk: `user_email#${email}`, sk: 'unique' });
export const userStatsKey: Key = { pk: 'stats#users', sk: 'stats' };
export const teamKey = (id: string): Key => ({ pk: `team#${id}`, sk: 'team' });
export const accountKey: Key = { pk: 'account', sk: 'account' };

export function userKeys(user: { id: string; reports_to: string | null; team_id: string | null }): ItemKeys {
  return {
    ...userKey(user.id),
    gsi2pk: 'user',
    gsi2sk: user.id,
    ...(user.reports_to ? { gsi3pk: `reports_to#${user.reports_to}`, gsi3sk: user.id } : {}),
    ...(user.team_id ? { gsi5pk: `team#${user.team_id}`, gsi5sk: user.id } : {}),
  };
}

export function teamKeys(team: { id: string }): ItemKeys {
  return { ...teamKey(team.id), gsi2pk: 'team', gsi2sk: team.id };
}
