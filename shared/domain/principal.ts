import type { Role } from './roles.ts';

/** Who is calling: read from verified token claims (Cognito in AWS, dev tokens locally). */
export interface Principal {
  user_id: string;
  email: string;
  /** Role as claimed by the token's group; the CRM's user record is the truth (identity issue). */
  role: Role;
}
