import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod';
import { crmConfigSchema, type CrmConfig } from './schema.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const DEFAULT_CONFIG_PATH = 'infra/config/crm.config.json';

/** Reads and validates the deployment config; every problem names the file and the field. */
export function loadConfig(path: string = process.env.CRM_CONFIG ?? DEFAULT_CONFIG_PATH): CrmConfig {
  const file = resolve(path);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: cannot read config: ${(error as Error).message}`);
  }
  return parseConfig(raw, file);
}

export function parseConfig(raw: unknown, file = '<config>'): CrmConfig {
  const result = crmConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${file}: ${formatPath(issue.path)}: ${issue.message}`);
  throw new ConfigError(`invalid CRM config:\n${lines.join('\n')}`);
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

export function configJsonSchema(): unknown {
  return z.toJSONSchema(crmConfigSchema, { io: 'input', unrepresentable: 'any' });
}
