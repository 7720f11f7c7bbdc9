import { buildSync, type Metafile } from 'esbuild';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// One Lambda bundle: ESM, Node 24, everything bundled (the AWS SDK too: the SDK in the
// runtime is read from disk module by module and roughly doubles cold start), minified, with
// external source maps (NODE_OPTIONS=--enable-source-maps maps stack traces back to TS).
// CDK's local bundling (infra/constructs/crm-function.ts) and the bench both call this.

/** The repository root; metafile paths are relative to it whatever the caller's cwd. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The entry chunk's name: Lambda's handler string is "index.handler". */
export const BUNDLE_ENTRY_FILE = 'index.mjs';

// Some CommonJS dependencies call require() for Node builtins; in an ES module there is no
// require, so each chunk gets one. The import is renamed so it cannot collide with a
// top-level name of the bundle.
const REQUIRE_SHIM =
  "import { createRequire as __crmCreateRequire } from 'node:module'; const require = __crmCreateRequire(import.meta.url);";

export interface BundleOptions {
  /** The handler module: absolute, or relative to the repository root. */
  readonly entry: string;
  /** Where index.mjs, its chunks and their .map files go; created if missing. */
  readonly outdir: string;
}

export function bundleFunction({ entry, outdir }: BundleOptions): Metafile {
  const result = buildSync({
    absWorkingDir: REPO_ROOT,
    entryPoints: { index: isAbsolute(entry) ? entry : resolve(REPO_ROOT, entry) },
    outdir,
    entryNames: '[name]',
    // Code split off the entry: above all the SDK's credential providers (SSO, INI files,
    // process, web identity...), imported lazily and never loaded in Lambda, where the
    // credentials come from the environment.
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    // ESM builds of dependencies first: they tree-shake, the CommonJS ones do not.
    mainFields: ['module', 'main'],
    // Node builtins stay external by themselves on platform "node"; nothing else does.
    external: [],
    minify: true,
    sourcemap: 'external',
    // Stack traces need positions and file names, not the sources: smaller maps, which Node
    // reads at load time under --enable-source-maps.
    sourcesContent: false,
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    logLevel: 'warning',
    write: true,
  });
  return result.metafile;
}

export interface BundleSize {
  /** The entry chunk's output path (relative to the repository root, as in the metafile). */
  readonly entryOutput: string;
  /** Bytes Node reads before the handler can run: the entry and every chunk it imports statically, transitively. */
  readonly initialBytes: number;
  /** Bytes of every JavaScript output, lazily loaded chunks included (source maps excluded). */
  readonly totalBytes: number;
  /** The outputs counted in initialBytes. */
  readonly initialOutputs: readonly string[];
}

/**
 * Sizes a bundle from its metafile. The entry is the output named `entryOutput` (default
 * index.mjs, the entry of a bundle made by `bundleFunction`); a path suffix is enough. Lazily
 * imported chunks have an `entryPoint` in the metafile too, so the name is what tells.
 */
export function bundleSize(metafile: Metafile, entryOutput: string = BUNDLE_ENTRY_FILE): BundleSize {
  const outputs = metafile.outputs;
  const jsOutputs = Object.keys(outputs).filter((path) => !path.endsWith('.map'));
  const entry = jsOutputs.find((path) => path === entryOutput || path.endsWith(`/${entryOutput}`));
  if (entry === undefined) throw new Error(`bundleSize: no output named ${entryOutput} in the metafile`);

  const initial = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const path = pending.pop() as string;
    if (initial.has(path)) continue;
    initial.add(path);
    for (const imported of outputs[path]?.imports ?? []) {
      // Builtins are external; dynamic imports load on first use, not at init.
      if (imported.external || imported.kind !== 'import-statement') continue;
      if (outputs[imported.path]) pending.push(imported.path);
    }
  }
  const bytesOf = (paths: Iterable<string>) => [...paths].reduce((sum, path) => sum + (outputs[path]?.bytes ?? 0), 0);
  return {
    entryOutput: entry,
    initialBytes: bytesOf(initial),
    totalBytes: bytesOf(jsOutputs),
    initialOutputs: [...initial],
  };
}
