import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ca } from '../../web/src/i18n/ca.ts';
import { en } from '../../web/src/i18n/en.ts';
import { ACTIVITY_RECORD_TYPES, ACTIVITY_VERBS } from '#shared/activities/domain.ts';

// The web app's languages: every English key has its Catalan translation (and no stray ones),
// with the same {{placeholders}}; every key the components ask for exists; and ESLint's
// i18next/no-literal-string refuses untranslated text in the components.

const SRC = join(process.cwd(), 'web', 'src');

function flatten(catalog: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(catalog)) {
    if (typeof value === 'string') out.set(prefix + key, value);
    else for (const [k, v] of flatten(value as object, `${prefix}${key}.`)) out.set(k, v);
  }
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}|<(\w+)>/g)].map((m) => m[1] ?? m[2]).sort();

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : /\.tsx?$/.test(e.name) && !e.name.endsWith('.gen.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('the web app’s catalogs', () => {
  const english = flatten(en);
  const catalan = flatten(ca);

  it('has a Catalan text for every English key, and no key English lacks', () => {
    expect([...english.keys()].filter((k) => !catalan.has(k))).toEqual([]);
    expect([...catalan.keys()].filter((k) => !english.has(k))).toEqual([]);
    expect([...catalan].filter(([, v]) => v.trim() === '').map(([k]) => k)).toEqual([]);
  });

  it('names every verb and record type the activity feed can send (the API’s enums, not guessed at)', () => {
    const lacking = [
      ...ACTIVITY_VERBS.map((v) => `activity.verbs.${v}`),
      ...ACTIVITY_RECORD_TYPES.map((t) => `activity.types.${t}`),
    ].filter((k) => !english.has(k));
    expect(lacking).toEqual([]);
  });

  it('keeps the same placeholders in each translation', () => {
    const differing = [...english].filter(([k, v]) => placeholders(v).join() !== placeholders(catalan.get(k) ?? '').join());
    expect(differing.map(([k]) => k)).toEqual([]);
  });

  it('has every key the components ask for (t("…"), i18nKey="…", and the prefixes of computed keys)', () => {
    const objects = new Set(
      [...english.keys()].flatMap((k) =>
        k
          .split('.')
          .slice(0, -1)
          .map((_, i, a) => a.slice(0, i + 1).join('.')),
      ),
    );
    const plural = (k: string) => english.has(`${k}_one`) && english.has(`${k}_other`);
    const missing: string[] = [];
    for (const file of sources(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\((['`])([a-zA-Z0-9_.]+)(\$\{)?[^'`]*\1|i18nKey="([^"]+)"/g)) {
        const key = m[2] ?? m[4]!;
        const computed = m[3] !== undefined;
        const known = computed ? objects.has(key.replace(/\.$/, '')) : english.has(key) || plural(key);
        if (!known) missing.push(`${file.slice(SRC.length + 1)}: ${key}${computed ? '${…}' : ''}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('untranslated text in the components', () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const literalErrors = (results: ESLint.LintResult[]) =>
    results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === 'i18next/no-literal-string').map((m) => `${r.filePath}:${m.line}: ${m.message}`),
    );

  it('is refused by the lint: JSX text and read attributes (label, aria-label...) must come from t()', async () => {
    const probe = join(SRC, 'ui', 'Probe.tsx');
    const lint = async (body: string) =>
      (await eslint.lintText(`export function A() {\n  return ${body};\n}\n`, { filePath: probe }))[0]!;
    expect(literalErrors([await lint('<p>Hello</p>')])).toHaveLength(1);
    expect(literalErrors([await lint('<input aria-label="Search" />')])).toHaveLength(1);
    expect(literalErrors([await lint("<p title={t('x')}>{t('y')} — 2</p>")])).toEqual([]);
  });

  it('finds none in web/src', async () => {
    expect(literalErrors(await eslint.lintFiles(['web/src/**/*.tsx']))).toEqual([]);
  }, 60_000);

  it('finds no text between JSX tags in web/src either (the rule skips components written as top-level arrows)', () => {
    const found = sources(SRC)
      .filter((f) => f.endsWith('.tsx'))
      .flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/>\s*([^<>{}=;()]*\p{L}{2,}[^<>{}=;()]*?)\s*</gu)].map(
          (m) => `${f.slice(SRC.length + 1)}: ${m[1]}`,
        ),
      );
    expect(found).toEqual([]);
  });
});
