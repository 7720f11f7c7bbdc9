import * as z from 'zod/mini';
import { ROLES, type Role } from '#shared/kernel/roles.ts';
import { idSchema, notEmpty, text } from '#shared/kernel/schema.ts';
import { isTimeZone } from './account.ts';

// Users and teams (X3), with Sell's field names where Sell has them.

export const USER_STATUSES = ['active', 'inactive'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** A CRM user, as stored and as the API shows it. */
export const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  status: z.enum(USER_STATUSES),
  reports_to: z.nullable(z.string()),
  team_id: z.nullable(z.string()),
  /** The user's IANA time zone (mail dates, automations' due days); null or absent: the account's. */
  time_zone: z.optional(z.nullable(z.string())),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type User = z.output<typeof userSchema>;

/** An IANA time zone the runtime knows, such as "Europe/Paris". */
export const timeZoneSchema = z
  .string()
  .check(
    z.refine(isTimeZone, 'must be an IANA time zone such as "Europe/Paris"'),
    z.describe('An IANA time zone such as "Europe/Paris"; null: the account\'s'),
  );

export const teamSchema = z.object({
  id: z.string(),
  name: z.string(),
  member_count: z.int(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type Team = z.output<typeof teamSchema>;

export const createUserInput = z.strictObject({
  name: text(200),
  email: z.pipe(
    z.email().check(z.maxLength(254)),
    z.transform((e: string) => e.toLowerCase()),
  ),
  role: z.enum(ROLES),
  reports_to: z.optional(z.nullable(idSchema)),
  team_id: z.optional(z.nullable(idSchema)),
  time_zone: z.optional(z.nullable(timeZoneSchema)),
});

export const updateUserInput = z
  .strictObject({
    name: z.optional(text(200)),
    role: z.optional(z.enum(ROLES)),
    reports_to: z.optional(z.nullable(idSchema)),
    team_id: z.optional(z.nullable(idSchema)),
    time_zone: z.optional(z.nullable(timeZoneSchema)),
  })
  .check(notEmpty);

/** PATCH /users/self: what every user may change of their own. */
export const updateSelfInput = z.strictObject({ time_zone: z.nullable(timeZoneSchema) });
export type UpdateSelfInput = z.output<typeof updateSelfInput>;

export type CreateUserInput = z.output<typeof createUserInput>;
export type UpdateUserInput = z.output<typeof updateUserInput>;

export const teamInput = z.strictObject({ name: text(200) });

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Reporting lines only run to someone who can manage: a manager or an admin. */
export function canManage(role: Role): boolean {
  return role === 'manager' || role === 'admin';
}

/**
 * Whether making `userId` report to `managerId` closes a loop. `chain` is the manager's own
 * line upwards (managerId's reports_to, then theirs...), as read from the store.
 */
export function formsCycle(userId: string, managerId: string, chain: readonly string[]): boolean {
  return managerId === userId || chain.includes(userId);
}
