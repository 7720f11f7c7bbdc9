import { z } from 'zod';
import { ROLES, type Role } from './roles.ts';

// Users and teams (X3), with Sell's field names where Sell has them.

export const USER_STATUSES = ['active', 'inactive'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface User {
  id: string;
  name: string;
  email: string;
  role: Role;
  status: UserStatus;
  reports_to: string | null;
  team_id: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface Team {
  id: string;
  name: string;
  member_count: number;
  created_at: string;
  updated_at: string;
  version: number;
}

export const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  status: z.enum(USER_STATUSES),
  reports_to: z.string().nullable(),
  team_id: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.number().int(),
});

export const teamSchema = z.object({
  id: z.string(),
  name: z.string(),
  member_count: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.number().int(),
});

export const idSchema = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an id (26-character ULID)');
const name = z.string().trim().min(1, 'must not be empty').max(200);

export const createUserInput = z.strictObject({
  name,
  email: z
    .email()
    .max(254)
    .transform((e) => e.toLowerCase()),
  role: z.enum(ROLES),
  reports_to: idSchema.nullable().optional(),
  team_id: idSchema.nullable().optional(),
});

export const updateUserInput = z
  .strictObject({
    name: name.optional(),
    role: z.enum(ROLES).optional(),
    reports_to: idSchema.nullable().optional(),
    team_id: idSchema.nullable().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'name at least one field to change');

export const teamInput = z.strictObject({ name });

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
