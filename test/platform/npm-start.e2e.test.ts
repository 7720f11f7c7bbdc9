import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/build/bundle.ts';

// `npm start` as a new user runs it: the real entry point in its own process, stopped with
// Ctrl-C (SIGINT), then started again on the same data folder.

const dataDir = mkdtempSync(join(tmpdir(), 'crm-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function start(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; output: () => string; url: Promise<string> } {
  const child = spawn(process.execPath, ['infra/local/start.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, CRM_DATA_DIR: dataDir, PORT: '0', SES_PORT: '0', WS_PORT: '0', POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearInterval(timer);
        resolve(match[1]!);
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`npm start exited (${code}): ${output}`));
    });
  });
  return { child, output: () => output, url };
}

function javaProcessesFor(dir: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
  return ps.split('\n').filter((line) => line.includes('DynamoDBLocal') && line.includes(dir));
}

async function interrupt(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

describe('npm start', () => {
  let firstUsers: { email: string; user_id: string; token: string }[] = [];

  it('prints the API, the live WebSocket, the mail viewer and the dev users, serves them, and stops everything on Ctrl-C', async () => {
    const run = start(['--fresh']);
    const url = await run.url;
    expect(run.output()).toMatch(/Sent mail\s+http:\/\/127\.0\.0\.1:[1-9]\d*/);
    expect(run.output()).toMatch(/Live\s+ws:\/\/127\.0\.0\.1:[1-9]\d*\/live\s/);
    expect(run.output()).toContain(join(dataDir, 'dev-users.json'));
    expect((await fetch(`${url}/health`)).status).toBe(200);
    firstUsers = JSON.parse(readFileSync(join(dataDir, 'dev-users.json'), 'utf8'));
    expect(firstUsers.map((u) => u.email)).toEqual([
      'admin@example.com',
      'manager@example.com',
      'rep1@example.com',
      'rep2@example.com',
      'solo@example.com',
    ]);
    const self = await fetch(`${url}/users/self`, { headers: { authorization: `Bearer ${firstUsers[1]!.token}` } });
    expect(((await self.json()) as { role: string }).role).toBe('manager');
    expect(javaProcessesFor(dataDir)).toHaveLength(1);

    expect(await interrupt(run.child)).toBe(0);
    expect(javaProcessesFor(dataDir)).toEqual([]);
  });

  it('keeps the data across a restart and prints fresh tokens for the same users', async () => {
    const run = start([]);
    const url = await run.url;
    const users = JSON.parse(readFileSync(join(dataDir, 'dev-users.json'), 'utf8')) as typeof firstUsers;
    expect(users.map((u) => u.user_id)).toEqual(firstUsers.map((u) => u.user_id));
    const self = await fetch(`${url}/users/self`, { headers: { authorization: `Bearer ${users[0]!.token}` } });
    expect(((await self.json()) as { id: string }).id).toBe(firstUsers[0]!.user_id);
    const token = spawnSync(process.execPath, ['infra/local/token.ts', 'rep2@example.com'], {
      cwd: REPO_ROOT,
      env: { ...process.env, CRM_DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(token.status).toBe(0);
    const rep = await fetch(`${url}/users/self`, { headers: { authorization: `Bearer ${token.stdout.trim()}` } });
    expect(((await rep.json()) as { email: string }).email).toBe('rep2@example.com');
    expect(await interrupt(run.child)).toBe(0);
    expect(javaProcessesFor(dataDir)).toEqual([]);
  });

  it('says in one line what to install when Java is missing', () => {
    const out = spawnSync(process.execPath, ['infra/local/start.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, PATH: dirname(process.execPath), CRM_DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(out.status).toBe(1);
    const lines = `${out.stdout}${out.stderr}`.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Java 17 or newer/);
  });
});
