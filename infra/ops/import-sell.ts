import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { localEnvironmentValues, operatorEnvironment } from '../local/environment.ts';
import { readLocalEndpoints } from '../local/endpoints.ts';

// `npm run import:sell`: imports a Zendesk Sell account through Sell's Core API v2 (the
// records keep their Sell ids; see README "Moving from Zendesk Sell"), the same code as the
// import a deployment runs (shared/sell-import/).
//   SELL_TOKEN=<token> npm run import:sell -- --as admin@example.com [--base-url https://api.getbase.com]
//   npm run import:sell -- --token <token> --as admin@example.com --aws [--table crm-prod --region eu-west-1]
// Where: the running local cloud (`npm start`; --data-dir, CRM_DATA_DIR or .crm) unless --aws,
// then the deployment's table (crm-<stage> from the config, or --table) with the default
// credentials. Run the same command again after a crash or Ctrl-C: the import resumes at its
// last page (its id is derived from the base URL and the token, or given with --id); --again
// starts a new import, which leaves every record imported before as it is.
// Prints the report (per resource: imported, unchanged, skipped and why) as JSON.

const USAGE = `usage: npm run import:sell -- (--token <token> | SELL_TOKEN=...) --as <admin e-mail> [--base-url <url>]
         [--id <import id> | --again] [--requests-per-hour <n>] [--aws [--table <name>] [--region <region>] | --data-dir <dir>]`;

const { values } = parseArgs({
  options: {
    token: { type: 'string' },
    as: { type: 'string' },
    'base-url': { type: 'string', default: 'https://api.getbase.com' },
    id: { type: 'string' },
    again: { type: 'boolean', default: false },
    'requests-per-hour': { type: 'string' },
    aws: { type: 'boolean', default: false },
    table: { type: 'string' },
    region: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  allowPositionals: false,
});

const token = values.token ?? process.env.SELL_TOKEN;
if (!token || !values.as) {
  console.error(USAGE);
  process.exit(2);
}

// The runtime reads its table and endpoints from the environment, as a function does.
const config = loadConfig();
if (values.aws) {
  // The operator's variables (table, account defaults) without the local endpoints and keys:
  // the default credential chain and AWS's endpoints.
  const env = operatorEnvironment({
    config,
    endpoints: { dynamodb: 'unused' },
    values: localEnvironmentValues(config, { tableName: values.table ?? `crm-${config.stage}` }),
  });
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('AWS_ENDPOINT_URL') && !/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/.test(name)) {
      process.env[name] = value;
    }
  }
  process.env.AWS_REGION = values.region ?? config.region;
} else {
  const local = readLocalEndpoints(values['data-dir'] ?? process.env.CRM_DATA_DIR ?? '.crm');
  Object.assign(
    process.env,
    operatorEnvironment({
      config,
      endpoints: { dynamodb: local.dynamodb, eventbridge: local.eventbridge, sqs: local.sqs },
      values: localEnvironmentValues(config, { tableName: local.table, eventBusName: local.bus }),
    }),
  );
}

// Imported after the environment is set: the runtime reads it when first used.
const { DynamoUserRepository } = await import('#shared/identity/dynamodb.ts');
const { crmTable } = await import('#shared/platform/runtime.ts');
const { sellImportAdapters } = await import('#shared/sell-import/runtime.ts');
const { SellClient } = await import('#shared/sell-import/sell-client.ts');
const { runSellImport } = await import('#shared/sell-import/use-cases.ts');

const actorId = await new DynamoUserRepository(crmTable()).findIdByEmail(values.as.trim().toLowerCase());
if (!actorId) {
  console.error(`No user here has the e-mail ${values.as}: name an admin of this CRM with --as`);
  process.exit(2);
}
const fingerprint = createHash('sha256').update(`${values['base-url']}\n${token}`).digest('hex').slice(0, 16);
const id = values.id ?? `sell-${fingerprint}${values.again ? `-${Date.now()}` : ''}`;
const client = new SellClient({
  baseUrl: values['base-url'],
  token,
  ...(values['requests-per-hour'] ? { requestsPerHour: Number(values['requests-per-hour']) } : {}),
});
console.error(`Importing from ${values['base-url']} as ${values.as} (import ${id}); run again to resume after a stop`);
const started = Date.now();
const result = await runSellImport(sellImportAdapters(client), { id, actorId });
for (const [name, r] of Object.entries(result.report)) {
  const counts = r.note ? `not imported: ${r.note}` : `${r.imported} imported, ${r.unchanged} unchanged, ${r.skipped} skipped`;
  console.error(`  ${name.padEnd(26)} ${counts}`);
}
console.error(`${result.status} after ${Math.round((Date.now() - started) / 1000)} s, ${client.requests} requests to Sell`);
console.log(JSON.stringify(result, null, 2));
