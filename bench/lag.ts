import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RUNTIME_ENV } from '#shared/platform/runtime-env.ts';
import { formatMs, formatTable, percentile } from './stats.ts';

// What every local-cloud lag bench shares: each measures in a child Node process (the local
// cloud seeds through the process's own adapters, which in the bench process already point at
// the bench database and carry its variables), prints one result line, and reports as a table
// of p50 / p90 / max per leg with its target and verdict.

const RESULT_MARK = 'LAG_RESULT ';
const RUNTIME_VARIABLES = new Set<string>(Object.values(RUNTIME_ENV));

/** This process's environment without AWS, Powertools or CRM runtime variables. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AWS_|POWERTOOLS_)/.test(k) && !RUNTIME_VARIABLES.has(k)),
  );
}

/**
 * Runs the bench module at `moduleUrl` (its `import.meta.url`) as `node <module> --samples N`
 * in a fresh process and returns what its `lagMain` printed. Throws with the child's output
 * when it printed no result.
 */
export async function measureInChild<T>(moduleUrl: string, samples: number): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(moduleUrl), '--samples', String(samples)], {
    env: childEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (!line) throw new Error(`${fileURLToPath(moduleUrl)} printed no result:\n${stdout}`);
  return JSON.parse(line.slice(RESULT_MARK.length)) as T;
}

/**
 * A lag bench's entry point when run as a script: `--samples N` (default `defaultSamples`),
 * prints the table for people and the result line `measureInChild` reads.
 */
export async function lagMain<T>(
  defaultSamples: number,
  measure: (samples: number) => Promise<T>,
  table: (result: T) => string,
): Promise<void> {
  const at = process.argv.indexOf('--samples');
  const result = await measure(at > 0 ? Number(process.argv[at + 1]) : defaultSamples);
  console.log(table(result));
  console.log(`${RESULT_MARK}${JSON.stringify(result)}`);
}

/** One leg of a lag table: label, p50, p90, max (ms), target and verdict (both may be empty). */
export function lagRow(label: string, valuesMs: readonly number[], target = '', verdict = ''): string[] {
  return [
    label,
    formatMs(percentile(valuesMs, 50), 1),
    formatMs(percentile(valuesMs, 90), 1),
    formatMs(Math.max(...valuesMs), 1),
    target,
    verdict,
  ];
}

/** A lag report: its title line, then the legs (lagRow) as a table. */
export function lagTable(title: string, rows: readonly string[][]): string {
  return `== ${title}\n${formatTable(['', 'p50', 'p90', 'max', 'target', 'verdict'], rows, ['left', 'right', 'right', 'right'])}`;
}
