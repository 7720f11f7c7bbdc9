import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

// A private Dovecot (Debian's dovecot-imapd) for tests: its own config, users, maildirs and
// sockets in a temp dir, IMAP without TLS on a free loopback port, passwd-file logins and, when
// asked, OAuth2 logins (AUTHENTICATE XOAUTH2) through the oauth2 passdb, which checks each bearer
// token at a token introspection URL (RFC 7662, POST). `.ci/run` installs the package when
// missing; a machine without it fails here, saying so, never skips.

/** Where Debian puts the binary; DOVECOT_PATH overrides. */
const DOVECOT = process.env.DOVECOT_PATH ?? '/usr/sbin/dovecot';

/** One mailbox account of the test server. */
export interface DovecotUser {
  username: string;
  password: string;
}

export interface Dovecot {
  host: '127.0.0.1';
  port: number;
  /** The temp dir holding config, maildirs and the log. */
  dir: string;
  /** The server's log so far (login lines name the SASL method: "method=XOAUTH2"). */
  log(): string;
  /** Stops the server and removes its temp dir. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForGreeting(port: number, deadline: number, log: () => string): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('* OK'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Dovecot did not answer on 127.0.0.1:${port}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** OAuth2 logins: Dovecot POSTs each bearer token to this URL; `{active, username}` must name the login user. */
export interface DovecotOAuth2 {
  introspectionUrl: string;
}

/**
 * Starts Dovecot in the foreground (`dovecot -F -c <conf>`) with these users (password logins),
 * and with `oauth2` also XOAUTH2 logins of any user whose token the introspection URL accepts.
 * Run as root (CI containers), mail is kept as `nobody`: Dovecot refuses mail access as UID 0.
 * @throws Error when the binary is missing (install dovecot-imapd) or the server does not start in 15 s
 */
export async function startDovecot(users: DovecotUser[], options: { oauth2?: DovecotOAuth2 } = {}): Promise<Dovecot> {
  if (!existsSync(DOVECOT)) {
    throw new Error(`Dovecot is missing at ${DOVECOT}: install Debian's dovecot-imapd (.ci/run does) or set DOVECOT_PATH`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'crm-dovecot-'));
  chmodSync(dir, 0o755);
  const me = userInfo();
  const root = me.uid === 0;
  const login = root ? 'nobody' : me.username;
  const mailUid = root ? Number(spawnSync('id', ['-u', 'nobody']).stdout.toString().trim()) : me.uid;
  const mailGid = root ? Number(spawnSync('id', ['-g', 'nobody']).stdout.toString().trim()) : me.gid;
  const loginGroup = root ? spawnSync('id', ['-gn', 'nobody']).stdout.toString().trim() : undefined;
  const home = join(dir, 'home');
  mkdirSync(home);
  chmodSync(home, 0o777);
  const port = await freePort();
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, users.map((u) => `${u.username}:{PLAIN}${u.password}`).join('\n') + '\n');
  const oauth2 = join(dir, 'dovecot-oauth2.conf.ext');
  if (options.oauth2) {
    writeFileSync(
      oauth2,
      [
        'introspection_mode = post',
        `introspection_url = ${options.oauth2.introspectionUrl}`,
        'force_introspection = yes',
        'username_attribute = username',
        'active_attribute = active',
        'active_value = true',
        '',
      ].join('\n'),
    );
  }
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    [
      `base_dir = ${join(dir, 'run')}`,
      `state_dir = ${join(dir, 'state')}`,
      `log_path = ${join(dir, 'dovecot.log')}`,
      'protocols = imap',
      'listen = 127.0.0.1',
      'ssl = no',
      'disable_plaintext_auth = no',
      // XOAUTH2 only (not OAUTHBEARER): imapflow would prefer OAUTHBEARER, and Gmail's and Outlook's IMAP is XOAUTH2.
      options.oauth2 ? 'auth_mechanisms = plain login xoauth2' : 'auth_mechanisms = plain login',
      `default_internal_user = ${login}`,
      `default_login_user = ${login}`,
      ...(loginGroup ? [`default_internal_group = ${loginGroup}`] : []),
      `first_valid_uid = ${mailUid}`,
      `first_valid_gid = ${mailGid}`,
      `passdb {\n  driver = passwd-file\n  args = ${passwd}\n}`,
      ...(options.oauth2 ? [`passdb {\n  driver = oauth2\n  mechanisms = xoauth2\n  args = ${oauth2}\n}`] : []),
      `userdb {\n  driver = static\n  args = uid=${mailUid} gid=${mailGid} home=${home}/%u\n}`,
      'mail_location = maildir:~/Maildir',
      'namespace inbox {\n  inbox = yes\n  mailbox Sent {\n    special_use = \\Sent\n    auto = create\n  }\n}',
      `service imap-login {\n  chroot =\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
      'service anvil {\n  chroot =\n}',
      'service auth {\n  chroot =\n}',
      'service stats {\n  chroot =\n}',
      'service imap-hibernate {\n  chroot =\n}',
      '',
    ].join('\n'),
  );
  const log = () => {
    try {
      return readFileSync(join(dir, 'dovecot.log'), 'utf8');
    } catch {
      return '(no log)';
    }
  };
  const child: ChildProcess = spawn(DOVECOT, ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    await waitForGreeting(port, Date.now() + 15_000, () => `${stderr}\n${log()}`);
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    dir,
    log,
    async stop() {
      if (!exited) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
