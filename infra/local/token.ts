import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DevAuth } from './dev-auth.ts';
import type { DevUser } from './seed.ts';

// `npm run token -- EMAIL`: a fresh dev token for a local user (seeded or created through the
// API while `npm start` runs; the latter are looked up in DynamoDB Local's data through the
// dev users file first, then by e-mail over the API if the cloud is up).

const email = process.argv[2]?.toLowerCase();
const dataDir = process.env.CRM_DATA_DIR ?? '.crm';
const keyFile = join(dataDir, 'dev-jwt-key.json');

async function main(): Promise<void> {
  if (!email) throw new Error('usage: npm run token -- EMAIL');
  if (!existsSync(keyFile)) throw new Error(`no local cloud data in ${dataDir}: run npm start first`);
  const auth = DevAuth.fromFile(keyFile);
  const users = JSON.parse(readFileSync(join(dataDir, 'dev-users.json'), 'utf8')) as DevUser[];
  let user: Pick<DevUser, 'email' | 'role' | 'user_id'> | undefined = users.find((u) => u.email === email);
  if (!user) user = await lookUp(auth, users);
  if (!user) throw new Error(`no local user with e-mail ${email}`);
  console.log(auth.token({ sub: user.user_id, email: user.email, role: user.role }));
}

/** Users created through the API: ask the running local cloud, as the seeded admin. */
async function lookUp(auth: DevAuth, users: DevUser[]): Promise<Pick<DevUser, 'email' | 'role' | 'user_id'> | undefined> {
  const admin = users.find((u) => u.role === 'admin');
  if (!admin) return undefined;
  const token = auth.token({ sub: admin.user_id, email: admin.email, role: 'admin' });
  const base = `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  let cursor: string | undefined;
  do {
    const res = await fetch(`${base}/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      headers: { authorization: `Bearer ${token}` },
    }).catch(() => undefined);
    if (!res?.ok)
      throw new Error(`${email} is not a seeded user, and the local API at ${base} did not answer: is npm start running?`);
    const page = (await res.json()) as {
      items: { id: string; email: string; role: DevUser['role'] }[];
      next_cursor: string | null;
    };
    const found = page.items.find((u) => u.email === email);
    if (found) return { email: found.email, role: found.role, user_id: found.id };
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return undefined;
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
