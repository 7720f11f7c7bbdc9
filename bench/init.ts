import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { lambdaEnv } from './env.ts';
import { atMost, median, percentile, ratio, type Verdict } from './stats.ts';

// Stage 2: module init in fresh processes. Each child times only the import() of the bundle
// (performance.now() around it), so node's own boot is left out, as it is the same for every
// function. Children run one at a time, interleaved across bundles so that drift on the
// machine spreads evenly, after one discarded round that warms the file cache.

export const INIT_RATIO_LIMIT = 1.3;

// Runs as an ES module (top-level await); argv[1] is the bundle's file URL.
const CHILD_SCRIPT = [
  'const boot = performance.now();',
  'const started = performance.now();',
  'const mod = await import(process.argv[1]);',
  'const ms = performance.now() - started;',
  "if (typeof mod.handler !== 'function') throw new Error('the bundle exports no handler');",
  'process.stdout.write(JSON.stringify({ ms, boot }));',
  'process.exit(0);',
].join('\n');

export interface InitSubject {
  readonly name: string;
  readonly file: string;
}

export interface InitResult {
  readonly name: string;
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
  readonly p90Ms: number;
  /** Median time from process start to the child's first line (node boot), for context. */
  readonly bootMs: number;
}

export interface InitComparison extends InitResult {
  readonly ratio: number;
  readonly verdict: Verdict;
}

export function measureInit(subjects: readonly InitSubject[], runs: number): InitResult[] {
  const samples = subjects.map(() => [] as { ms: number; boot: number }[]);
  for (let round = -1; round < runs; round++) {
    for (let i = 0; i < subjects.length; i++) {
      // Rotate the order each round: no subject always runs right after the same one.
      const index = (i + Math.max(round, 0)) % subjects.length;
      const subject = subjects[index] as InitSubject;
      const sample = importOnce(subject);
      if (round >= 0) samples[index]?.push(sample);
    }
  }
  return subjects.map((subject, index) => {
    const own = samples[index] ?? [];
    const ms = own.map((s) => s.ms);
    return {
      name: subject.name,
      samplesMs: ms,
      medianMs: median(ms),
      p90Ms: percentile(ms, 90),
      bootMs: median(own.map((s) => s.boot)),
    };
  });
}

export function compareInit(results: readonly InitResult[], baseline: InitResult): InitComparison[] {
  return results.map((result) => {
    const r = ratio(result.medianMs, baseline.medianMs);
    return { ...result, ratio: r, verdict: atMost(r, INIT_RATIO_LIMIT) };
  });
}

function importOnce(subject: InitSubject): { ms: number; boot: number } {
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT, pathToFileURL(subject.file).href], {
    encoding: 'utf8',
    timeout: 30_000,
    // A Lambda's environment, not ours: no inherited NODE_OPTIONS, loaders or endpoints.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...lambdaEnv({ functionName: subject.name }),
      // As CrmFunction sets it: the source maps are read when the bundle loads.
      NODE_OPTIONS: '--enable-source-maps',
    },
  });
  if (out.status !== 0)
    throw new Error(`importing ${subject.name} failed (exit ${out.status}): ${out.stderr || out.error?.message}`);
  return JSON.parse(out.stdout) as { ms: number; boot: number };
}
