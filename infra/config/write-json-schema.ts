import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from './load.ts';

// Writes infra/config/crm.config.schema.json (editors validate crm.config.json with it through
// its "$schema"). Run after changing infra/config/schema.ts: `npm run config:schema`; a test
// fails while the committed file differs from a fresh one.

export const CONFIG_JSON_SCHEMA_PATH = fileURLToPath(new URL('./crm.config.schema.json', import.meta.url));

export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (import.meta.main) {
  writeFileSync(CONFIG_JSON_SCHEMA_PATH, renderConfigJsonSchema());
  console.log(`wrote ${CONFIG_JSON_SCHEMA_PATH}`);
}
