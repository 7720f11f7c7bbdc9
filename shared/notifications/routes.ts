import * as z from 'zod/mini';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { pageQueryFields, queryBoolean } from '#shared/platform/http/schemas.ts';
import {
  NOT_CONFIGURED_SETTINGS_CHANNELS,
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  notificationSchema,
  notificationSettingSchema,
} from './domain.ts';

// The caller's own notifications (F2.3) and channel settings (F2.1): every role, and nobody
// reads or changes another user's (no route takes a user id).

const family = 'notifications';
const tags = ['notifications'];

const unreadCount = z.int().check(z.describe("The caller's unread items (neither read nor archived)"));

/** A notification's id: "<window start ms>.<kind>.<actor id>". */
const notificationParams = z.strictObject({
  id: z
    .string()
    .check(z.regex(/^\d{13}\.[a-z_]{1,40}\.[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64})?$/, 'must be a notification id')),
});

export const listNotificationsRoute = route({
  id: 'listNotifications',
  method: 'GET',
  path: '/notifications',
  family,
  summary: "List the caller's notifications, newest first (archived ones left out), with the unread count",
  access: ALL_ROLES,
  query: z.strictObject({ ...pageQueryFields, unread: z.optional(queryBoolean) }),
  response: z.object({ items: z.array(notificationSchema), next_cursor: z.nullable(z.string()), unread_count: unreadCount }),
  status: 200,
  tags,
});

const changeRoute = (id: string, verb: 'read' | 'archive', summary: string) =>
  route({
    id,
    method: 'POST',
    path: `/notifications/{id}/${verb}`,
    family,
    summary,
    access: ALL_ROLES,
    params: notificationParams,
    response: z.object({ unread_count: unreadCount }),
    status: 200,
    tags,
  });

export const readNotificationRoute = changeRoute(
  'readNotification',
  'read',
  "Mark one of the caller's notifications read (idempotent; an id the caller has none under changes nothing)",
);
export const archiveNotificationRoute = changeRoute(
  'archiveNotification',
  'archive',
  "Archive one of the caller's notifications, which also reads it (idempotent)",
);

export const readAllNotificationsRoute = route({
  id: 'readAllNotifications',
  method: 'POST',
  path: '/notifications/read_all',
  family,
  summary: "Mark the caller's newest unread notifications read, at most 99 per call (call again while more is true)",
  access: ALL_ROLES,
  response: z.object({
    marked: z.int(),
    more: z.boolean().check(z.describe('Unread notifications remain: call again')),
    unread_count: unreadCount,
  }),
  status: 200,
  tags,
});

const settingsResponse = z.object({
  items: z.array(notificationSettingSchema),
  not_configured: z
    .array(z.enum(NOT_CONFIGURED_SETTINGS_CHANNELS))
    .check(
      z.describe(
        'Channels accepted and stored that deliver nothing yet (push: mobile push waits for a mobile app); each delivery asking for one is logged and counted',
      ),
    ),
});

export const getNotificationSettingsRoute = route({
  id: 'getNotificationSettings',
  method: 'GET',
  path: '/notification_settings',
  family,
  summary: "The caller's channel per notification kind (web, email, both or off), and whether they want push too",
  access: ALL_ROLES,
  response: settingsResponse,
  status: 200,
  tags,
});

export const putNotificationSettingsRoute = route({
  id: 'putNotificationSettings',
  method: 'PUT',
  path: '/notification_settings',
  family,
  summary: "Set the caller's channel, and push, for the kinds given (the others keep theirs)",
  access: ALL_ROLES,
  body: z.strictObject({
    channels: z._default(z.partialRecord(z.enum(NOTIFICATION_KINDS), z.enum(NOTIFICATION_CHANNELS)), {}),
    /** Push per kind: stored, reported as not configured (never silently dropped). */
    push: z._default(z.partialRecord(z.enum(NOTIFICATION_KINDS), z.boolean()), {}),
  }),
  response: settingsResponse,
  status: 200,
  tags,
});

export const notificationRoutes = [
  listNotificationsRoute,
  readAllNotificationsRoute,
  readNotificationRoute,
  archiveNotificationRoute,
  getNotificationSettingsRoute,
  putNotificationSettingsRoute,
] as const;
