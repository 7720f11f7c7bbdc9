import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { customFieldAdapters, refreshCustomFieldCatalog } from '#shared/custom-fields/runtime.ts';
import { principalResolver } from '#shared/identity/principals.ts';
import { identityAdapters } from '#shared/identity/runtime.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { consumerMetrics, logger } from '#shared/platform/observability.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { effectiveDefaults } from './domain.ts';
import { DynamoCurrentOwners, DynamoNotificationStore } from './dynamodb.ts';
import { DynamoNotificationRuleStore } from './rule-store.ts';
import type { RuleEvaluationDeps } from './rule-use-cases.ts';
import type { UnconfiguredChannels } from './ports.ts';
import type { NotificationDeps } from './use-cases.ts';

// The notifications' wiring, built once per container.

let deps: NotificationDeps | undefined;

/** The metric counting deliveries that asked for a channel not configured (push). */
export const CHANNEL_NOT_CONFIGURED_METRIC = 'NotificationChannelNotConfigured';

/** Push is not configured: each delivery asking for it logs a warning and counts the metric. */
const unconfigured: UnconfiguredChannels = {
  report: (channel, draft) => {
    logger.warn('notification channel not configured: nothing sent on it', {
      channel,
      kind: draft.kind,
      rule_id: draft.rule?.id,
      recipient_id: draft.recipient_id,
      event_id: draft.event_id,
    });
    // Added and flushed in one step (see consumerMetrics).
    consumerMetrics.addMetric(CHANNEL_NOT_CONFIGURED_METRIC, MetricUnit.Count, 1);
    consumerMetrics.publishStoredMetrics();
  },
};

/** The inbox store, record owners and the deployment's defaults (CRM_NOTIFICATION_DEFAULTS). */
export function notificationAdapters(): NotificationDeps {
  if (deps) return deps;
  const table = crmTable();
  deps = {
    store: new DynamoNotificationStore(table),
    owners: new DynamoCurrentOwners(table),
    defaults: effectiveDefaults(JSON.parse(requireEnv(RUNTIME_ENV.notificationDefaults)) as object),
    unconfigured,
    clock: systemClock,
  };
  return deps;
}

let ruleDeps: RuleEvaluationDeps | undefined;

/** Users' notification rules, and what their evaluation reads (nothing cached but the adapters). */
export function notificationRuleAdapters(): RuleEvaluationDeps {
  if (ruleDeps) return ruleDeps;
  const table = crmTable();
  const { users } = identityAdapters();
  // No cache of reporting lines: a rule's visibility is decided on the state at delivery.
  const principals = principalResolver(users, systemClock, 0);
  ruleDeps = {
    rules: new DynamoNotificationRuleStore(table),
    store: notificationAdapters().store,
    reads: {
      record: async (type, id) => (await table.get(recordKey(type, id))) ?? undefined,
      principal: (userId) =>
        principals.resolve({ user_id: userId, email: '', role: 'user', direct_reports: [] }).catch(() => undefined),
      teamOf: async (userId) => (await users.get(userId))?.team_id,
      customFieldIds: async (resource) => {
        // A field renamed through another function shows at once (the catalog checks its versions).
        await refreshCustomFieldCatalog();
        const definitions = await customFieldAdapters().catalog.definitions(resource);
        return new Map(definitions.map((d) => [d.name, d.id]));
      },
    },
    unconfigured,
  };
  return ruleDeps;
}
