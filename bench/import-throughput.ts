import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { RUNTIME_ENV } from '#shared/platform/runtime-env.ts';
import { loadConfig } from '#infra/config/load.ts';
import { startLocalCloud } from '#infra/local/cloud.ts';
import { seedLocalData, type DevUser } from '#infra/local/seed.ts';
import { formatTable } from './stats.ts';

// CSV import throughput on the local cloud (issue 15): the admin uploads a file of N leads
// (owner rep1, e-mail, tags) through the presigned PUT and starts the import; the clock runs from
// the start's 202 until GET /imports/{id} says finished. The path: the imports function queues
// the plan, the import-worker (its event source: the template's maximum concurrency) splits the
// file into batches on the import queue and writes each row through the leads use case, with its
// outbox event. Reported as rows per second; no target (the local cloud is one laptop).
//   npm run bench:import -- [--rows N] [--give-up-minutes M] [--progress]
//   runs this part alone (default 100,000 rows, giving up after 180 minutes; 10,000 for a quick
//   figure); --progress prints the counters every 30 s on stderr, to extrapolate a long run.
// `npm run bench -- --import-rows N` runs it in a child process, on a local cloud of its own.

/** Minutes after the start before a run is given up (a 100,000-row run on a loaded laptop takes hours). */
const GIVE_UP_MINUTES = 180;
/** Milliseconds between progress lines (--progress). */
const PROGRESS_EVERY_MS = 30_000;

export interface ImportThroughputResult {
  rows: number;
  created: number;
  failed: number;
  batches: number;
  /** From the start's answer to the import finished. */
  seconds: number;
  rowsPerSecond: number;
}

function leadsFile(rows: number): Buffer {
  const lines = ['First Name,Last Name,Email,Owner,Tags'];
  for (let row = 1; row <= rows; row++) lines.push(`Zoë,Bench ${row},bench${row}@example.com,rep1@example.com,bench`);
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

export async function measureImportThroughput(
  rows = 100_000,
  options: { giveUpMinutes?: number; progress?: boolean } = {},
): Promise<ImportThroughputResult> {
  const giveUpMs = (options.giveUpMinutes ?? GIVE_UP_MINUTES) * 60_000;
  const config = loadConfig();
  let users: DevUser[] = [];
  const cloud = await startLocalCloud({
    config,
    port: 0,
    sesPort: 0,
    webSocketPort: 0,
    functionSettings: { logLevel: 'ERROR', validateResponses: false },
    onFreshTable: async (c) => {
      users = (await seedLocalData(c, config)).users;
    },
  });
  try {
    const admin = users.find((u) => u.role === 'admin');
    if (!admin) throw new Error('no seeded admin');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, read field by field
    const api = async (method: string, path: string, body?: unknown): Promise<any> => {
      const res = await fetch(`${cloud.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
      return res.json();
    };
    const file = leadsFile(rows);
    const created = await api('POST', '/imports', { resource: 'leads', filename: 'bench.csv', size: file.length });
    const put = await fetch(created.upload.url, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: file });
    if (put.status !== 200) throw new Error(`PUT of the file answered ${put.status}: ${await put.text()}`);
    await api('POST', `/imports/${created.import.id}/start`, {});
    const started = performance.now();
    let misses = 0;
    let lastProgress = started;
    for (;;) {
      // A status read that fails on a busy machine (a local function past its 10 s) is read again.
      const job = await api('GET', `/imports/${created.import.id}`).then(
        (view) => ((misses = 0), view.import),
        (error: Error) => {
          if (++misses >= 10) throw error;
          return { status: 'unknown' };
        },
      );
      if (job.status === 'finished') {
        const seconds = (performance.now() - started) / 1000;
        return {
          rows,
          created: job.created,
          failed: job.failed,
          batches: job.batches,
          seconds: Math.round(seconds * 10) / 10,
          rowsPerSecond: Math.round(rows / seconds),
        };
      }
      const elapsed = performance.now() - started;
      if (options.progress && performance.now() - lastProgress >= PROGRESS_EVERY_MS && typeof job.created === 'number') {
        lastProgress = performance.now();
        const done = job.created + job.updated + job.failed;
        console.error(
          `${Math.round(elapsed / 1000)} s: ${done} of ${rows} rows (${job.batches_done}/${job.batches} batches), ${(done / (elapsed / 1000)).toFixed(1)} rows/s so far`,
        );
      }
      if (elapsed > giveUpMs) throw new Error(`the import is not finished: ${JSON.stringify(job)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await cloud.stop();
  }
}

export function importThroughputTable(result: ImportThroughputResult): string {
  return [
    `CSV import on the local cloud: ${result.rows} leads, POST /imports/{id}/start answered → GET /imports/{id} finished`,
    formatTable(
      ['rows', 'created', 'failed', 'batches', 'seconds', 'rows/s'],
      [[result.rows, result.created, result.failed, result.batches, result.seconds, result.rowsPerSecond].map(String)],
      ['right', 'right', 'right', 'right', 'right', 'right'],
    ),
  ].join('\n');
}

const RESULT_MARK = 'IMPORT_THROUGHPUT_RESULT ';
const RUNTIME_VARIABLES = new Set<string>(Object.values(RUNTIME_ENV));

/** measureImportThroughput in a fresh Node process (with none of this process's AWS or CRM variables). */
export async function measureImportThroughputInChild(rows: number): Promise<ImportThroughputResult> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AWS_|POWERTOOLS_)/.test(k) && !RUNTIME_VARIABLES.has(k)),
  );
  const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(import.meta.url), '--rows', String(rows)], {
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (!line) throw new Error(`the import-throughput child printed no result:\n${stdout}`);
  return JSON.parse(line.slice(RESULT_MARK.length)) as ImportThroughputResult;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '100000' },
      'give-up-minutes': { type: 'string', default: String(GIVE_UP_MINUTES) },
      progress: { type: 'boolean', default: false },
    },
  });
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows must be a positive whole number, got ${values.rows}`);
  const giveUpMinutes = Number(values['give-up-minutes']);
  if (!(giveUpMinutes > 0)) throw new Error(`--give-up-minutes must be a positive number, got ${values['give-up-minutes']}`);
  const result = await measureImportThroughput(rows, { giveUpMinutes, progress: values.progress });
  console.log(importThroughputTable(result));
  console.log(`${RESULT_MARK}${JSON.stringify(result)}`);
}
