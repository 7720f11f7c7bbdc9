import { parseArgs } from 'node:util';
import { runRegisteredMigrations } from '#shared/bootstrap/runtime.ts';
import { loadConfig, ConfigError } from '../config/load.ts';
import { JavaMissingError } from './dynamodb-local.ts';
import { startLocalCloud } from './cloud.ts';
import { seedLocalData, type SeedReport } from './seed.ts';
import { ensureWebBuild, WEB_DIST } from './web-build.ts';
import { localPassword } from './dev-password.ts';

// `npm start`: the local cloud with data kept in .crm/ (CRM_DATA_DIR moves it; --fresh
// begins empty). Ctrl-C stops everything, DynamoDB Local's JVM included.

const { values } = parseArgs({ options: { fresh: { type: 'boolean', default: false } }, allowPositionals: false });

let report: SeedReport | undefined;

async function main(): Promise<void> {
  const config = loadConfig();
  const dataDir = process.env.CRM_DATA_DIR ?? '.crm';
  let seeded: SeedReport | undefined;
  ensureWebBuild((line) => console.log(`  ${line}`));
  const password = localPassword(dataDir);
  const cloud = await startLocalCloud({
    web: {
      distDir: WEB_DIST,
      port: Number(process.env.WEB_PORT ?? 3080),
      password,
      devUsers: () => (seeded?.users ?? report?.users ?? []).map((u) => ({ email: u.email, role: u.role })),
    },
    config,
    dataDir,
    fresh: values.fresh,
    port: Number(process.env.PORT ?? 3000),
    sesPort: Number(process.env.SES_PORT ?? 8005),
    webSocketPort: Number(process.env.WS_PORT ?? 3001),
    log: (line) => console.log(`  ${line}`),
    onFreshTable: async (c) => {
      seeded = await seedLocalData(c, config);
    },
  });
  report = seeded ?? (await seedLocalData(cloud, config, { tokensOnly: true }));
  localPassword(dataDir, password); // kept again when --fresh emptied the folder
  // The migrations the deploy bootstrap runs (backfills of read models), to the end.
  for (const m of await runRegisteredMigrations({ holder: `npm-start-${process.pid}`, leaseMs: 10 * 60_000 })) {
    console.log(`  migration ${m.id}: ${m.outcome}`);
  }

  console.log(`
CRM local cloud is up (data in ${cloud.dataDir})
  Web app      ${cloud.webUrl}        (sign in as a user below with the local password: ${password})
  API          ${cloud.url}        (GET /health, GET /openapi.json; also ${cloud.webUrl}/api/...)
  Live         ${cloud.webSocketUrl}  (WebSocket: ?ticket= from POST /notifications/live_ticket; ping every <9 min)
  Sent mail    ${cloud.sesUrl}     (every email the CRM sends, SES v1/v2 API)
  Dev users    ${report.file}  (tokens valid 30 days; \`npm run token -- EMAIL\` makes a new one)
${report.users.map((u) => `    ${u.role.padEnd(8)} ${u.email.padEnd(28)} ${u.token}`).join('\n')}

  Try: curl -H "Authorization: Bearer <token>" ${cloud.url}/users/self
  Ctrl-C stops everything.`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local cloud...`);
    cloud
      .stop()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof JavaMissingError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
