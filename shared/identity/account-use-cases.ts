import type { Account } from './account.ts';
import { VersionMismatchError } from '#shared/kernel/errors.ts';
import { changedFields, domainEvent } from '#shared/kernel/events.ts';
import type { AccountRepository } from './ports.ts';
import type { Call } from '#shared/kernel/ports.ts';

export interface AccountDeps {
  account: AccountRepository;
  /** From the deployment config: what the account is until an admin changes it. */
  defaults: Omit<Account, 'updated_at' | 'version'>;
}

export async function getAccount(deps: AccountDeps): Promise<Account> {
  return (await deps.account.get()) ?? { ...deps.defaults, updated_at: null, version: 0 };
}

export async function updateAccount(
  deps: AccountDeps,
  call: Call,
  patch: Partial<Omit<Account, 'updated_at' | 'version'>>,
  ifMatch?: number,
): Promise<Account> {
  const before = await getAccount(deps);
  if (ifMatch !== undefined && ifMatch !== before.version) throw new VersionMismatchError('account', 'self', before);
  const merged: Account = { ...before, ...stripUndefined(patch) };
  const previous = changedFields(before, merged);
  if (Object.keys(previous).length === 0) return before;
  const after: Account = { ...merged, updated_at: call.events.now.toISOString(), version: before.version + 1 };
  const event = domainEvent(call.events, 'account.updated', { resource_type: 'account', resource_id: 'self' }, after, {
    previous,
  });
  await deps.account.save(after, before.version === 0 ? undefined : before.version, [event]);
  return after;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
