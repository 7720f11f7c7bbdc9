import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleSize } from '#infra/build/bundle.ts';

type Output = Metafile['outputs'][string];

function output(bytes: number, imports: Output['imports'] = [], entryPoint?: string): Output {
  return { bytes, imports, exports: ['handler'], inputs: {}, ...(entryPoint ? { entryPoint } : {}) };
}

// index imports a and node:fs statically and lazy dynamically; a imports c; lazy imports d.
const metafile: Metafile = {
  inputs: {},
  outputs: {
    'out/index.mjs': output(
      100,
      [
        { path: 'out/chunks/a.mjs', kind: 'import-statement' },
        { path: 'node:fs', kind: 'import-statement', external: true },
        { path: 'out/chunks/lazy.mjs', kind: 'dynamic-import' },
      ],
      'functions/http/platform.ts',
    ),
    'out/index.mjs.map': output(9000),
    'out/chunks/a.mjs': output(20, [{ path: 'out/chunks/c.mjs', kind: 'import-statement' }]),
    'out/chunks/c.mjs': output(3, [{ path: 'out/chunks/a.mjs', kind: 'import-statement' }]),
    'out/chunks/lazy.mjs': output(500, [{ path: 'out/chunks/d.mjs', kind: 'import-statement' }], 'node_modules/sso/index.js'),
    'out/chunks/d.mjs': output(4000),
  },
};

describe('bundleSize', () => {
  it('counts the entry and its static imports, transitively, as the initial load', () => {
    const size = bundleSize(metafile);
    expect(size.entryOutput).toBe('out/index.mjs');
    expect([...size.initialOutputs].sort()).toEqual(['out/chunks/a.mjs', 'out/chunks/c.mjs', 'out/index.mjs']);
    expect(size.initialBytes).toBe(123);
  });

  it('counts every JavaScript output, lazy chunks included and source maps excluded, as the total', () => {
    expect(bundleSize(metafile).totalBytes).toBe(100 + 20 + 3 + 500 + 4000);
  });

  it('sizes another entry by name, and names a missing one', () => {
    expect(bundleSize(metafile, 'chunks/lazy.mjs').initialBytes).toBe(4500);
    expect(() => bundleSize(metafile, 'nope.mjs')).toThrow(/no output named nope\.mjs/);
  });
});
