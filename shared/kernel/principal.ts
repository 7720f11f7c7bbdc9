import type { Role } from './roles.ts';

/**
 * Who is calling. Read from verified token claims, then (for every CRM route) resolved against
 * the CRM's own user record, which is the truth for role, status and reporting line.
 */
export interface Principal {
  user_id: string;
  email: string;
  role: Role;
  /** Users whose reports_to is this user (managers see their records). */
  direct_reports: readonly string[];
  /**
   * How the caller authenticated when not with a Cognito token: 'access_token' (a personal
   * access token). Tokens act with their owner's rights but never reach admin-only routes.
   */
  via?: 'access_token';
}
