import type { Principal } from './principal.ts';

// F1.1 and F8.4 as one pure policy. A user sees and changes their own records; a manager
// also those of their direct reports; an admin everything. "Own" is the record's owner (a
// task's assignee). The same rule yields the query plan for lists, so a list never loads
// what the caller may not see.

/** Owners whose records the principal may see; "all" for admins. */
export type Scope = { kind: 'all' } | { kind: 'owners'; owner_ids: readonly string[] };

export function scopeOf(principal: Principal): Scope {
  if (principal.role === 'admin') return { kind: 'all' };
  if (principal.role === 'manager') return { kind: 'owners', owner_ids: [principal.user_id, ...principal.direct_reports] };
  return { kind: 'owners', owner_ids: [principal.user_id] };
}

export function inScope(scope: Scope, ownerId: string): boolean {
  return scope.kind === 'all' || scope.owner_ids.includes(ownerId);
}

export function canSee(principal: Principal, ownerId: string): boolean {
  return inScope(scopeOf(principal), ownerId);
}

/** Changing a record needs the same reach as seeing it. */
export function canChange(principal: Principal, ownerId: string): boolean {
  return canSee(principal, ownerId);
}

/**
 * F8.4: whom the principal may make the owner (or assignee) of a record: a user only
 * themself, a manager themself and their direct reports, an admin anyone.
 */
export function canAssignTo(principal: Principal, assigneeId: string): boolean {
  return canSee(principal, assigneeId);
}

/**
 * Narrows a requested owner filter to the caller's scope: asking for an owner outside it
 * yields nothing rather than an error, so lists never reveal who owns what.
 */
export function ownersToQuery(scope: Scope, requestedOwner?: string): 'all' | string[] {
  if (requestedOwner !== undefined) return inScope(scope, requestedOwner) ? [requestedOwner] : [];
  return scope.kind === 'all' ? 'all' : [...scope.owner_ids];
}
