import { systemClock } from '#shared/kernel/ports.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { effectiveDefaults } from './domain.ts';
import { DynamoCurrentOwners, DynamoNotificationStore } from './dynamodb.ts';
import type { NotificationDeps } from './use-cases.ts';

// The notifications' wiring, built once per container.

let deps: NotificationDeps | undefined;

/** The inbox store, record owners and the deployment's defaults (CRM_NOTIFICATION_DEFAULTS). */
export function notificationAdapters(): NotificationDeps {
  if (deps) return deps;
  const table = crmTable();
  deps = {
    store: new DynamoNotificationStore(table),
    owners: new DynamoCurrentOwners(table),
    defaults: effectiveDefaults(JSON.parse(requireEnv(RUNTIME_ENV.notificationDefaults)) as object),
    clock: systemClock,
  };
  return deps;
}
