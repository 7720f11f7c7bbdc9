import { defineErrorCodes } from '#shared/kernel/error-codes.ts';
import { MAX_RULES_PER_USER } from './rules.ts';

// The codes notifications answer with (docs/error-codes.md lists them all).

export const notificationErrorCodes = /* @__PURE__ */ defineErrorCodes('notifications', {
  'notification_rule.not_found': {
    status: 404,
    title: 'Notification rule not found',
    description: 'You have no notification rule with this id (nobody sees or changes the rules of another user).',
  },
  'notification_rule.limit_reached': {
    status: 422,
    title: 'Too many notification rules',
    description: `A user holds at most ${MAX_RULES_PER_USER} notification rules; delete one first.`,
  },
  'notification_rule.invalid_trigger': {
    status: 422,
    title: 'Trigger not available for this resource',
    description: 'stage_changed is for deals, status_changed for leads and contacts; `errors[]` names the trigger.',
  },
  'notification_rule.invalid_filter': {
    status: 422,
    title: 'Invalid filter',
    description:
      'A filter names a field the resource does not have, or a value its operator cannot take (users and teams by id, pipelines and stages by key); `errors[]` names it.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    notifications: typeof notificationErrorCodes;
  }
}
