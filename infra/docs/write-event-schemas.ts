import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { eventBridgeJsonSchemas } from './event-schemas.ts';

// Writes docs/events/<source>@<type>-v<version>.json from the event catalogue, and removes files
// of events no longer in it. Run after changing an event schema: `npm run docs:events`; a test
// fails while docs/events differs from a fresh rendering.

export const EVENT_SCHEMAS_DIR = fileURLToPath(new URL('../../docs/events/', import.meta.url));

/** Each file of docs/events/ (name → text), formatted with the repository's prettier config. */
export async function renderEventSchemaFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const [name, schema] of eventBridgeJsonSchemas()) {
    const path = join(EVENT_SCHEMAS_DIR, `${name}.json`);
    const options = (await resolveConfig(path)) ?? {};
    files.set(`${name}.json`, await format(JSON.stringify(schema), { ...options, filepath: path }));
  }
  return files;
}

if (import.meta.main) {
  const files = await renderEventSchemaFiles();
  mkdirSync(EVENT_SCHEMAS_DIR, { recursive: true });
  for (const name of readdirSync(EVENT_SCHEMAS_DIR)) {
    if (name.endsWith('.json') && !files.has(name)) rmSync(join(EVENT_SCHEMAS_DIR, name));
  }
  for (const [name, text] of files) writeFileSync(join(EVENT_SCHEMAS_DIR, name), text);
  console.log(`wrote ${files.size} schemas to ${EVENT_SCHEMAS_DIR}`);
}
