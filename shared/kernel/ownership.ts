import { ForbiddenError, NotFoundError } from './errors.ts';
import type { Principal } from './principal.ts';
import { canAssignTo, canChange, canSee } from './visibility.ts';

// The two ownership checks every family makes, worded once: "visible record or 404" (F1.1)
// and "whom may I make the owner" (F8.4).

/**
 * The record when the principal may see it (or change it, with `forChange`). A record that is
 * missing or out of reach is NotFoundError alike, so ids leak nothing.
 */
export function visibleOwned<T extends { owner_id: string }>(
  resource: string,
  id: string,
  record: T | undefined,
  principal: Principal,
  options: { forChange?: boolean } = {},
): T {
  const reach = options.forChange ? canChange : canSee;
  if (!record || !reach(principal, record.owner_id)) throw new NotFoundError(resource, id);
  return record;
}

/**
 * F8.4: a user makes only themself the owner (or assignee) of a `noun`, a manager themself and
 * their direct reports, an admin anyone. ForbiddenError naming the rule otherwise.
 */
export function checkAssignee(
  principal: Principal,
  assigneeId: string,
  noun: string,
  options: { as?: 'owner' | 'assignee' } = {},
): void {
  if (canAssignTo(principal, assigneeId)) return;
  const rule =
    principal.role === 'user'
      ? `users assign ${noun}s to themselves only`
      : `managers assign ${noun}s to themselves and their direct reports`;
  throw new ForbiddenError(
    options.as === 'assignee'
      ? `You may not assign a ${noun} to user ${assigneeId}: ${rule}`
      : `You may not make user ${assigneeId} the owner: ${rule}`,
    { code: 'owner_not_assignable' },
  );
}
