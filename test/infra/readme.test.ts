import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/build/bundle.ts';

// The README is read on GitHub: a `|` inside a cell breaks a table's rows apart, which is how the
// domain events table once lost half its events. Every table keeps its column count, and the
// events table names every event type the code publishes.

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** Cells of a Markdown table row, honouring `\|` escapes. */
const cells = (row: string) =>
  row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/);

function tables(markdown: string): string[][] {
  const out: string[][] = [];
  let current: string[] | undefined;
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (!fenced && line.trimStart().startsWith('|')) (current ??= []).push(line);
    else if (current) {
      out.push(current);
      current = undefined;
    }
  }
  if (current) out.push(current);
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('README', () => {
  it('has no table whose rows have another number of cells than its header', () => {
    const found = tables(readme);
    expect(found.length).toBeGreaterThanOrEqual(5);
    for (const table of found) {
      const width = cells(table[0]!).length;
      for (const row of table) expect(cells(row).length, row).toBe(width);
    }
  });

  it('names every event type the code publishes in its domain events table', () => {
    const section = readme.slice(
      readme.indexOf('## Domain events'),
      readme.indexOf('\n## ', readme.indexOf('## Domain events') + 1),
    );
    const published = new Set<string>();
    for (const file of sourceFiles(join(REPO_ROOT, 'shared'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:domainEvent|stageEvent)\([^,]+,\s*'([a-z_]+\.[a-z_]+)'/g)) {
        published.add(match[1]!);
      }
    }
    expect(published.size).toBeGreaterThan(30);
    for (const type of published) expect(section, type).toContain(`\`${type}\``);
  });
});
