import { httpHandler, implement } from '#shared/app.ts';
import { notificationAdapters, notificationRuleAdapters } from '#shared/notifications/runtime.ts';
import * as routes from '#shared/notifications/routes.ts';
import * as ruleRoutes from '#shared/notifications/rule-routes.ts';
import { createRule, deleteRule, getRule, listRules, updateRule } from '#shared/notifications/rule-use-cases.ts';
import {
  changeNotification,
  getNotificationSettings,
  listNotifications,
  putNotificationSettings,
  readAllNotifications,
} from '#shared/notifications/use-cases.ts';

// The caller's notifications, channel settings and notification rules: parse (done by the contract), call the use case, reply.

const deps = notificationAdapters();
const rules = { rules: notificationRuleAdapters().rules };

export const handler = httpHandler([
  implement(routes.listNotificationsRoute, (req) => listNotifications(deps, req.call, req.query)),
  implement(routes.readAllNotificationsRoute, (req) => readAllNotifications(deps, req.call)),
  implement(routes.readNotificationRoute, (req) => changeNotification(deps, req.call, req.params.id, 'read')),
  implement(routes.archiveNotificationRoute, (req) => changeNotification(deps, req.call, req.params.id, 'archive')),
  implement(routes.getNotificationSettingsRoute, (req) => getNotificationSettings(deps, req.call)),
  implement(routes.putNotificationSettingsRoute, (req) =>
    putNotificationSettings(deps, req.call, req.body.channels, req.body.push),
  ),
  implement(ruleRoutes.listNotificationRulesRoute, (req) => listRules(rules, req.call)),
  implement(ruleRoutes.createNotificationRuleRoute, (req) => createRule(rules, req.call, req.body)),
  implement(ruleRoutes.getNotificationRuleRoute, (req) => getRule(rules, req.call, req.params.id)),
  implement(ruleRoutes.updateNotificationRuleRoute, (req) => updateRule(rules, req.call, req.params.id, req.body)),
  implement(ruleRoutes.deleteNotificationRuleRoute, (req) => deleteRule(rules, req.call, req.params.id)),
]);
