import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { BUNDLE_ENTRY_FILE, bundleFunction, bundleSize } from '#infra/build/bundle.ts';
import { functionSpecs } from '#infra/functions.ts';
import { atMost, type Verdict } from './stats.ts';

// Stage 1: every function of the registry bundled by the project's bundler, plus the init
// baseline (a bare one-client SDK module) with the same options.

export const INITIAL_LIMIT_BYTES = 350 * 1024;
export const TOTAL_LIMIT_BYTES = 1024 * 1024;
export const BASELINE_NAME = 'baseline (bare SDK client)';
const BASELINE_ENTRY = 'bench/baseline/sdk-client.ts';

export interface BuiltBundle {
  readonly name: string;
  readonly entry: string;
  /** The absolute path of index.mjs, for import(). */
  readonly file: string;
  readonly initialBytes: number;
  readonly totalBytes: number;
  readonly initialChunks: number;
  /** The biggest contributors to the initial load, by package (or repository folder). */
  readonly largest: readonly { readonly source: string; readonly bytes: number }[];
  readonly buildMs: number;
  readonly baseline: boolean;
  readonly verdict: Verdict;
}

export function buildBundles(outRoot: string): { functions: BuiltBundle[]; baseline: BuiltBundle } {
  const functions = functionSpecs.map((spec) => build(spec.name, spec.entry, join(outRoot, spec.name), false));
  const baseline = build(BASELINE_NAME, BASELINE_ENTRY, join(outRoot, 'baseline'), true);
  return { functions, baseline };
}

function build(name: string, entry: string, outdir: string, baseline: boolean): BuiltBundle {
  const started = performance.now();
  const metafile = bundleFunction({ entry, outdir });
  const buildMs = performance.now() - started;
  const size = bundleSize(metafile);
  const verdict: Verdict =
    atMost(size.initialBytes, INITIAL_LIMIT_BYTES) === 'PASS' && atMost(size.totalBytes, TOTAL_LIMIT_BYTES) === 'PASS'
      ? 'PASS'
      : 'FAIL';
  return {
    name,
    entry,
    file: join(outdir, BUNDLE_ENTRY_FILE),
    initialBytes: size.initialBytes,
    totalBytes: size.totalBytes,
    initialChunks: size.initialOutputs.length,
    largest: largestSources(metafile, size.initialOutputs, 5),
    buildMs,
    baseline,
    verdict,
  };
}

/** Bytes in the given outputs per npm package (scope included) or per top-level folder of ours. */
export function largestSources(metafile: Metafile, outputs: readonly string[], top: number): { source: string; bytes: number }[] {
  const bySource = new Map<string, number>();
  for (const output of outputs) {
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[output]?.inputs ?? {})) {
      const source = sourceOf(input);
      bySource.set(source, (bySource.get(source) ?? 0) + bytesInOutput);
    }
  }
  return [...bySource]
    .map(([source, bytes]) => ({ source, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}

function sourceOf(input: string): string {
  const marker = 'node_modules/';
  const at = input.lastIndexOf(marker);
  if (at === -1) return input.split('/').slice(0, 2).join('/');
  const parts = input.slice(at + marker.length).split('/');
  return (parts[0]?.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}
