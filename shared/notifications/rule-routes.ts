import * as z from 'zod/mini';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams } from '#shared/platform/http/schemas.ts';
import { NOT_CONFIGURED_CHANNELS, RULE_CHANNELS, notificationRuleSchema, ruleInputShape } from './rules.ts';

// The caller's own notification rules (F2.2): every role, and nobody reads or changes another
// user's rules (no route takes a user id; another user's rule id answers 404).

const family = 'notifications';
const tags = ['notifications'];

const ruleView = z.extend(notificationRuleSchema, {
  not_configured: z
    .array(z.enum(RULE_CHANNELS))
    .check(
      z.describe(
        `The rule's channels that deliver nothing yet (${NOT_CONFIGURED_CHANNELS.join(', ')}: mobile push waits for a mobile app); each delivery asking for one is logged and counted`,
      ),
    ),
});

const { name, resource, filters, triggers, channels } = ruleInputShape;

export const listNotificationRulesRoute = route({
  id: 'listNotificationRules',
  method: 'GET',
  path: '/notification_rules',
  family,
  summary: "List the caller's notification rules, oldest first (all of them: a user holds at most 25)",
  access: ALL_ROLES,
  response: z.object({ items: z.array(ruleView) }),
  status: 200,
  tags,
});

export const getNotificationRuleRoute = route({
  id: 'getNotificationRule',
  method: 'GET',
  path: '/notification_rules/{id}',
  family,
  summary: "One of the caller's notification rules (another user's answers 404)",
  access: ALL_ROLES,
  params: idParams,
  response: ruleView,
  status: 200,
  tags,
});

export const createNotificationRuleRoute = route({
  id: 'createNotificationRule',
  method: 'POST',
  path: '/notification_rules',
  family,
  summary:
    'Add a custom notification: on a resource (lead, contact, deal), filters as automations take them (users and teams by id), triggers and channels',
  access: ALL_ROLES,
  body: z.strictObject({ name, resource, filters: z._default(filters, []), triggers, channels }),
  response: ruleView,
  status: 201,
  tags,
});

export const updateNotificationRuleRoute = route({
  id: 'updateNotificationRule',
  method: 'PATCH',
  path: '/notification_rules/{id}',
  family,
  summary: "Change one of the caller's notification rules (the fields given; the result is checked whole)",
  access: ALL_ROLES,
  params: idParams,
  body: z.strictObject({
    name: z.optional(name),
    resource: z.optional(resource),
    filters: z.optional(filters),
    triggers: z.optional(triggers),
    channels: z.optional(channels),
  }),
  response: ruleView,
  status: 200,
  tags,
});

export const deleteNotificationRuleRoute = route({
  id: 'deleteNotificationRule',
  method: 'DELETE',
  path: '/notification_rules/{id}',
  family,
  summary: "Delete one of the caller's notification rules",
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  tags,
});

export const notificationRuleRoutes = [
  listNotificationRulesRoute,
  createNotificationRuleRoute,
  getNotificationRuleRoute,
  updateNotificationRuleRoute,
  deleteNotificationRuleRoute,
] as const;
