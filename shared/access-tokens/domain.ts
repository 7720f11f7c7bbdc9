import * as z from 'zod/mini';

// Personal access tokens (issue 17 item 1): bearer tokens for integrations, shaped as Sell's
// (64 hex characters, which Sell's clients check), shown once at creation and stored only as
// their SHA-256 hash. A token acts as its owner: the owner's role, team and visibility, read
// from the user record on every call.

/** A token's secret: 32 random bytes as 64 lower-case hex characters (Sell's format and length). */
export const ACCESS_TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** Whether a bearer credential is shaped as a personal access token (never as a JWT, which has dots). */
export function isAccessTokenShaped(token: string): boolean {
  return ACCESS_TOKEN_PATTERN.test(token);
}

/** Tokens a user may hold at once: a bound on what one leaked account can spread. */
export const MAX_TOKENS_PER_USER = 20;

/** last_used_at is written at most once a minute per token (ms). */
export const LAST_USED_RESOLUTION_MS = 60_000;

export const accessTokenSchema = z.object({
  id: z.string(),
  user_id: z.string(),
  name: z.string(),
  /** The secret's first 6 characters, so a user can tell tokens apart; never the rest. */
  prefix: z.string(),
  created_at: z.string(),
  /** When the token last authorized a request, to the minute (null: never). */
  last_used_at: z.nullable(z.string()),
});

/** A token as listed: never its secret nor its hash. */
export type AccessToken = z.infer<typeof accessTokenSchema>;

/** A token as stored: with the SHA-256 hex of its secret. */
export interface StoredAccessToken extends AccessToken {
  readonly hash: string;
}

export const createAccessTokenInput = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
});
export type CreateAccessTokenInput = z.infer<typeof createAccessTokenInput>;

/** The answer to a creation: the token and, this once, its secret. */
export const createdAccessTokenSchema = z.extend(accessTokenSchema, {
  token: z.string().check(z.describe('The secret: shown once, store it now (64 hex characters)')),
});
export type CreatedAccessToken = z.infer<typeof createdAccessTokenSchema>;

/** Whether a use at `now` should be recorded, given the last recorded one (at most once a minute). */
export function dueForLastUsed(lastUsedAt: string | null, now: Date): boolean {
  return lastUsedAt === null || now.getTime() - Date.parse(lastUsedAt) >= LAST_USED_RESOLUTION_MS;
}
