import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// `npm start` and the browser tests build the web app when web/dist is missing or older than
// any source of it (vite build takes a few seconds).

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
export const WEB_DIST = join(WEB_DIR, 'dist');
const SOURCES = ['src', 'index.html', 'vite.config.ts', 'package.json'];

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}

/** True when web/dist/index.html is missing or older than a source file. */
export function webBuildStale(): boolean {
  const built = join(WEB_DIST, 'index.html');
  if (!existsSync(built)) return true;
  return Math.max(...SOURCES.map((s) => newest(join(WEB_DIR, s)))) > statSync(built).mtimeMs;
}

/** Builds the app with Vite when stale; returns whether it built. Throws when the build fails. */
export function ensureWebBuild(log: (line: string) => void = () => undefined): boolean {
  if (!webBuildStale()) return false;
  log('building the web app (vite build)...');
  const vite = join(dirname(createRequire(join(WEB_DIR, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
  // NODE_ENV=production whatever the caller runs under (vitest sets "test", which would bundle React's dev build).
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: WEB_DIR,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error(`vite build failed (exit ${result.status ?? result.signal})`);
  return true;
}

/** The JavaScript the browser loads before the first page: index.html's module script and modulepreloads, gzipped (bytes). */
export function initialJsGzipBytes(): { bytes: number; files: string[] } {
  const html = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
  const bytes = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(WEB_DIST, f)), { level: 9 }).length, 0);
  return { bytes, files };
}
