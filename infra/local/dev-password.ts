import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The one password every local user signs in to the web app with: CRM_LOCAL_PASSWORD, or one
 * made on first start and kept in the data folder (`dev-password`), so it stays the same.
 * `keep` is written when the file is missing (after `--fresh` emptied the folder).
 */
export function localPassword(dataDir: string, keep?: string): string {
  if (process.env.CRM_LOCAL_PASSWORD) return process.env.CRM_LOCAL_PASSWORD;
  const file = join(dataDir, 'dev-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = keep ?? `local-${randomBytes(6).toString('base64url')}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}
