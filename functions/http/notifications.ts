import { httpHandler, implement } from '#shared/app.ts';
import { issueLiveTicket } from '#shared/live/use-cases.ts';
import { createLiveTicketRoute } from '#shared/live/routes.ts';
import { liveTicketAdapters, liveUpdateAdapters } from '#shared/live/runtime.ts';
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

// The caller's notifications, channel settings, notification rules, and tickets for their live
// connection: parse (done by the contract), call the use case, reply. Reads and archives push
// the new unread count to the caller's open connections (their other tabs).

const inbox = notificationAdapters();
const deps = { ...inbox, live: liveUpdateAdapters(inbox.store) };
const rules = { rules: notificationRuleAdapters().rules };
const tickets = liveTicketAdapters();

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
  implement(createLiveTicketRoute, (req) => issueLiveTicket(tickets, req.call)),
]);
