import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBundles, INITIAL_LIMIT_BYTES, TOTAL_LIMIT_BYTES, type BuiltBundle } from './bundles.ts';
import { compareInit, INIT_RATIO_LIMIT, measureInit, type InitComparison, type InitResult } from './init.ts';
import { startBenchDatabase } from './local.ts';
import { measureOverhead, OVERHEAD_LIMIT_MS, type OverheadResult } from './overhead.ts';
import { countRequests, requestsVerdict, type Bucket, type CaseResult, type PrincipalResult } from './requests.ts';
import { measureWalks, walksVerdict, type WalkResult } from './walks.ts';
import { appointmentWalksVerdict, measureAppointmentWalks, type AppointmentWalkResult } from './appointment-walks.ts';
import { DASHBOARD_SCALES, measureDashboardScale, type DashboardScaleResult } from './dashboard.ts';
import { measureOutcomeLag, outcomeLagTable } from './outcome-lag.ts';
import { feedLagTable, measureFeedLagInChild } from './feed-lag.ts';
import { allPass, formatKb, formatMs, formatRatio, formatTable, type Verdict } from './stats.ts';
import { formatCapacity, summarizeOperations } from './targets.ts';
import { AUTOMATION_LAG_P90_LIMIT_MS, automationLagTable, measureAutomationLagInChild } from './automation-lag.ts';
import { LIVE_LAG_P90_LIMIT_MS, liveLagTable, measureLiveLagInChild } from './live-lag.ts';
import { measureReminderLagInChild, REMINDER_LAG_LIMIT_MS, reminderLagTable } from './reminder-lag.ts';
import { importThroughputTable, measureImportThroughputInChild } from './import-throughput.ts';
import {
  DASHBOARD_TIME_TO_DATA_LIMIT_MS,
  measureWebBudgetsInChild,
  WEB_INITIAL_JS_LIMIT_BYTES,
  webBudgetTable,
} from './web-dashboard.ts';

// npm run bench: the performance targets of ENGINEERING.md, measured in one run, as ratios
// where the machine matters. Prints a table per metric and writes bench/results.json.
//   --init-runs N    fresh processes per bundle for module init (default 15)
//   --iterations N   handler and raw invocations for the overhead (default 300)
//   --lag-runs N     deal moves for the automation lag on the local cloud (default 30)
//   --strict         exit 1 when a target is missed (default: report only)
//   --keep           keep the bundles (their folder is printed)
//   --lag-samples N  writes whose lag to their activity-feed entry is measured (default 50)
//   --live-samples N assignments whose lag to their WebSocket push is measured (default 30)
//   --reminders N    reminders whose lateness is measured on the real clock (default 15)
//   --import-rows N  rows of the CSV import whose throughput is measured (default 100000)
//   --web-loads N    warm dashboard loads in headless Chromium for its time to data (default 10)

const { values: args } = parseArgs({
  options: {
    'init-runs': { type: 'string', default: '15' },
    iterations: { type: 'string', default: '300' },
    'lag-runs': { type: 'string', default: '30' },
    strict: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'lag-samples': { type: 'string', default: '50' },
    'live-samples': { type: 'string', default: '30' },
    reminders: { type: 'string', default: '15' },
    'import-rows': { type: 'string', default: '100000' },
    'web-loads': { type: 'string', default: '10' },
  },
});
const initRuns = positiveInt(args['init-runs'], '--init-runs');
const iterations = positiveInt(args.iterations, '--iterations');
const lagSamples = positiveInt(args['lag-samples'], '--lag-samples');
const lagRuns = positiveInt(args['lag-runs'], '--lag-runs');
const liveSamples = positiveInt(args['live-samples'], '--live-samples');
const reminderRuns = positiveInt(args.reminders, '--reminders');
const importRows = positiveInt(args['import-rows'], '--import-rows');
const webLoads = positiveInt(args['web-loads'], '--web-loads');

const started = performance.now();
const loadBefore = loadavg()[0] ?? 0;
const stageMs: Record<string, number> = {};
async function stage<T>(name: string, run: () => T | Promise<T>): Promise<T> {
  process.stderr.write(`bench: ${name}...\n`);
  const at = performance.now();
  try {
    return await run();
  } finally {
    stageMs[name] = Math.round(performance.now() - at);
  }
}

const outRoot = mkdtempSync(join(tmpdir(), 'crm-bench-'));
try {
  const bundles = await stage('bundle', () => buildBundles(outRoot));
  const initResults = await stage('init', () => measureInit([...bundles.functions, bundles.baseline], initRuns));
  const baselineInit = initResults.at(-1) as InitResult;
  const init = compareInit(initResults.slice(0, -1), baselineInit);

  const db = await stage('dynamodb local', () => startBenchDatabase());
  let overhead: OverheadResult[];
  let requests: { cases: CaseResult[]; principal: PrincipalResult[] };
  let walks: WalkResult[];
  let appointmentWalks: AppointmentWalkResult[];
  let dashboard: DashboardScaleResult;
  try {
    // Before the request meter is attached: its middleware would sit in both paths.
    overhead = await stage('overhead', () => measureOverhead(db.fixture, { iterations, warmup: 50 }));
    requests = await stage('requests', () => countRequests(db.fixture));
    walks = await stage('walks', () => measureWalks(db.fixture));
    appointmentWalks = await stage('appointment lists', () => measureAppointmentWalks(db.fixture));
    // Last: it grows the table to 10⁴ deals.
    dashboard = await stage('dashboard at scale', () => measureDashboardScale(db.fixture));
  } finally {
    await db.secrets.stop();
    await db.dynamo.stop();
  }
  const lag = await stage('outcome lag (local cloud)', () => measureOutcomeLag());
  // On a whole local cloud of its own (stream poller, bus, consumer workers).
  const feedLag = await stage('feed lag', () => measureFeedLagInChild(lagSamples));
  // The whole local cloud (its own DynamoDB Local), once the database above is stopped.
  const automationLag = await stage('automation lag', () => measureAutomationLagInChild(lagRuns));
  // A local cloud of its own again: a manager's assignment → rep1's open WebSocket.
  const liveLag = await stage('live push lag', () => measureLiveLagInChild(liveSamples));
  // The web app in headless Chromium on a local cloud of its own: initial JS and the dashboard's time to data.
  const web = await stage('web app budgets', () => measureWebBudgetsInChild(webLoads));
  const importThroughput = await stage('import throughput', () => measureImportThroughputInChild(importRows));
  // Real time: a reminder a second, each from its remind_at to the rep's inbox.
  const reminderLag = await stage('reminder lag', () => measureReminderLagInChild(reminderRuns));

  const verdicts = {
    bundleSize: allPass(bundles.functions.map((b) => b.verdict)),
    moduleInit: allPass(init.map((r) => r.verdict)),
    handlerOverhead: allPass(overhead.map((o) => o.verdict)),
    requestsPerCall: requestsVerdict(requests),
    filteredWalks: walksVerdict(walks),
    appointmentLists: appointmentWalksVerdict(appointmentWalks),
    dashboardAtScale: dashboard.verdict,
    outcomeLag: lag.verdict,
    feedLag: feedLag.verdict,
    automationLag: automationLag.verdict,
    livePushLag: liveLag.verdict,
    reminderLag: reminderLag.verdict,
    webInitialJs: web.verdicts.initialJs,
    webDashboardTimeToData: web.verdicts.timeToData,
  } satisfies Record<string, Verdict>;

  const report = [
    bundleTable(bundles.functions, bundles.baseline),
    initTable(init, baselineInit),
    overheadTable(overhead),
    requestsTable(requests.cases),
    principalTable(requests.principal),
    walksTable(walks),
    appointmentWalksTable(appointmentWalks),
    dashboardTable(dashboard),
    outcomeLagTable(lag),
    feedLagTable(feedLag),
    automationLagTable(automationLag),
    liveLagTable(liveLag),
    webBudgetTable(web),
    importThroughputTable(importThroughput),
    reminderLagTable(reminderLag),
    summary(verdicts, { bundles: bundles.functions, init, overhead, requests }),
  ].join('\n\n');
  const load = { before: round2(loadBefore), after: round2(loadavg()[0] ?? 0), cpus: cpus().length };
  const busy = Math.max(load.before, load.after) > load.cpus;
  console.log(`\n${report}\n`);
  if (busy) {
    console.log(
      `Note: load average ${load.before} → ${load.after} on ${load.cpus} cores: other work shared the machine. Ratios stay comparable (runs interleave), absolute times are inflated.`,
    );
  }

  const totalMs = Math.round(performance.now() - started);
  const results = {
    generated_at: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
    },
    options: {
      init_runs: initRuns,
      iterations,
      lag_runs: lagRuns,
      live_samples: liveSamples,
      reminders: reminderRuns,
      import_rows: importRows,
      web_loads: webLoads,
    },
    verdicts,
    targets: {
      bundle_initial_max_bytes: INITIAL_LIMIT_BYTES,
      bundle_total_max_bytes: TOTAL_LIMIT_BYTES,
      init_ratio_max: INIT_RATIO_LIMIT,
      handler_overhead_max_ms: OVERHEAD_LIMIT_MS,
      automation_lag_p90_max_ms: AUTOMATION_LAG_P90_LIMIT_MS,
      live_push_lag_p90_max_ms: LIVE_LAG_P90_LIMIT_MS,
      reminder_lag_max_ms: REMINDER_LAG_LIMIT_MS,
      web_initial_js_max_bytes: WEB_INITIAL_JS_LIMIT_BYTES,
      web_dashboard_time_to_data_p90_max_ms: DASHBOARD_TIME_TO_DATA_LIMIT_MS,
    },
    // Without the paths of the bundles, gone once the run ends (unless --keep).
    bundles: [...bundles.functions, bundles.baseline].map(({ file, ...b }) => ({
      ...b,
      ...(args.keep ? { file } : {}),
      buildMs: Math.round(b.buildMs),
    })),
    init: { baseline: baselineInit, functions: init },
    overhead,
    requests,
    walks,
    appointment_walks: appointmentWalks,
    dashboard,
    outcome_lag: lag,
    feed_lag: feedLag,
    automation_lag: automationLag,
    live_push_lag: liveLag,
    web,
    import_throughput: importThroughput,
    reminder_lag: reminderLag,
    duration_ms: { total: totalMs, ...stageMs },
  };
  const file = join(import.meta.dirname, 'results.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`Wrote ${file} in ${(totalMs / 1000).toFixed(1)} s${args.keep ? `; bundles in ${outRoot}` : ''}.`);
  if (args.strict && Object.values(verdicts).includes('FAIL')) process.exitCode = 1;
} finally {
  if (!args.keep) rmSync(outRoot, { recursive: true, force: true });
}

function bundleTable(functions: readonly BuiltBundle[], baseline: BuiltBundle): string {
  const rows = [...functions, baseline].map((b) => [
    b.name,
    formatKb(b.initialBytes),
    String(b.initialChunks),
    formatKb(b.totalBytes),
    b.largest
      .slice(0, 3)
      .map((l) => `${l.source} ${formatKb(l.bytes)}`)
      .join(', '),
    b.baseline ? '' : b.verdict,
  ]);
  return section(
    `Bundle size per function (target: initial load ≤ ${formatKb(INITIAL_LIMIT_BYTES)}, total ≤ ${formatKb(TOTAL_LIMIT_BYTES)})`,
    formatTable(['function', 'initial', 'files', 'total', 'largest in the initial load', 'verdict'], rows, [
      'left',
      'right',
      'right',
      'right',
    ]),
  );
}

function initTable(init: readonly InitComparison[], baseline: InitResult): string {
  const rows = [
    ...init.map((r) => [
      r.name,
      formatMs(r.medianMs, 1),
      formatMs(r.p90Ms, 1),
      formatRatio(r.ratio),
      `≤ ${formatRatio(INIT_RATIO_LIMIT)}`,
      r.verdict,
    ]),
    [baseline.name, formatMs(baseline.medianMs, 1), formatMs(baseline.p90Ms, 1), formatRatio(1), '', ''],
  ];
  return section(
    `Module init, fresh process: import() of the bundle, median of ${baseline.samplesMs.length} processes (node boot, ~${formatMs(baseline.bootMs, 0)}, excluded)`,
    formatTable(['function', 'median', 'p90', 'vs baseline', 'target', 'verdict'], rows, ['left', 'right', 'right', 'right']),
  );
}

function overheadTable(results: readonly OverheadResult[]): string {
  const rows = results.map((o) => [
    o.route,
    o.mode === 'in-memory' ? 'in memory (lower bound)' : 'DynamoDB Local',
    String(o.iterations),
    formatMs(o.handlerMedianMs),
    formatMs(o.rawMedianMs),
    formatMs(o.overheadMs),
    formatMs(o.pairedOverheadMs),
    `≤ ${formatMs(OVERHEAD_LIMIT_MS, 1)}`,
    o.verdict,
  ]);
  return section(
    'Handler overhead: the handler vs the same 2 GetItems sent raw by the same client (medians of warm invocations)',
    formatTable(['route', 'database', 'runs', 'handler', 'raw calls', 'overhead', 'paired', 'target', 'verdict'], rows, [
      'left',
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
    ]),
  );
}

function requestsTable(cases: readonly CaseResult[]): string {
  const rows = cases.map((c) => [c.label, c.role, cell(c.principal), cell(c.own), cell(c.idempotency), c.target, c.verdict]);
  return section(
    'DynamoDB requests per API call (warm container; verdict on the route’s own requests; CU = capacity units)',
    formatTable(['route', 'caller', 'principal lookup', 'route’s own', 'idempotency', 'target', 'verdict'], rows),
  );
}

function walksTable(walks: readonly WalkResult[]): string {
  const rows = walks.map((w) => [
    w.label,
    w.role,
    String(w.k),
    String(w.n),
    String(w.limit),
    String(w.calls),
    String(w.emptyPages),
    String(w.queries),
    String(w.batchGets),
    String(w.itemsRead),
    `${w.maxQueriesPerCall} (≤ ${w.queryBound})`,
  ]);
  return section(
    'Walking a filtered list: GET /deals?pipeline_id=P&sort_order=asc to the end (k matches among n deals in scope, matches last)',
    formatTable(
      ['walk', 'caller', 'k', 'n', 'limit', 'calls', 'empty pages', 'Query', 'BatchGet', 'items read', 'max Query per call'],
      rows,
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
  );
}

function appointmentWalksTable(walks: readonly AppointmentWalkResult[]): string {
  const rows = walks.map((w) => [
    w.label,
    w.role,
    String(w.items),
    String(w.limit),
    String(w.calls),
    String(w.queries),
    String(w.itemsRead),
    `${w.maxQueriesPerCall} (≤ ${w.queryBound})`,
    w.distinct ? 'yes' : 'NO',
  ]);
  return section(
    'Walking appointment lists: GET /appointments?start_from&start_to (a month of 400 appointments of two reps, half shared) to the end',
    formatTable(['walk', 'caller', 'items', 'limit', 'calls', 'Query', 'items read', 'max Query per call', 'each once'], rows, [
      'left',
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
    ]),
  );
}

function dashboardTable(result: DashboardScaleResult): string {
  const rows = result.rows.map((r) => [
    r.role,
    String(r.deals),
    summarizeOperations(r.principal),
    summarizeOperations(r.operations),
    String(r.operations.length),
    formatCapacity(r.capacity),
  ]);
  return section(
    `GET /dashboard at ${DASHBOARD_SCALES.join(' and ')} deals (warm; the route's own requests must not change with the deals): ${result.verdict}`,
    formatTable(['caller', 'deals', 'principal lookup', 'route’s own', 'requests', 'CU'], rows, ['left', 'right']),
  );
}

function principalTable(rows: readonly PrincipalResult[]): string {
  return section(
    'Principal lookup (before every authenticated route)',
    formatTable(
      ['caller', 'requests', 'target', 'verdict'],
      rows.map((r) => [r.label, cell(r.lookup), r.target, r.verdict]),
    ),
  );
}

function cell(bucket: Bucket): string {
  if (bucket.operations.length === 0) return '–';
  return `${summarizeOperations(bucket.operations)} (${formatCapacity(bucket.capacity)} CU)`;
}

function summary(
  verdicts: Record<string, Verdict>,
  r: {
    bundles: readonly BuiltBundle[];
    init: readonly InitComparison[];
    overhead: readonly OverheadResult[];
    requests: { cases: readonly CaseResult[]; principal: readonly PrincipalResult[] };
  },
): string {
  const misses = [
    ...r.bundles
      .filter((b) => b.verdict === 'FAIL')
      .map((b) => `bundle ${b.name}: ${formatKb(b.initialBytes)} initial, ${formatKb(b.totalBytes)} total`),
    ...r.init.filter((i) => i.verdict === 'FAIL').map((i) => `init ${i.name}: ${formatRatio(i.ratio)} the baseline`),
    ...r.overhead.filter((o) => o.verdict === 'FAIL').map((o) => `overhead ${o.route} (${o.mode}): ${formatMs(o.overheadMs)}`),
    ...r.requests.cases
      .filter((c) => c.verdict === 'FAIL')
      .map((c) => `requests ${c.label}: ${summarizeOperations(c.own.operations)} (target ${c.target})`),
    ...r.requests.principal
      .filter((p) => p.verdict === 'FAIL')
      .map((p) => `principal lookup, ${p.label}: ${summarizeOperations(p.lookup.operations)}`),
  ];
  const lines = Object.entries(verdicts).map(([metric, verdict]) => `${verdict}  ${metric}`);
  return section('Summary', [...lines, ...(misses.length ? ['', 'Missed:', ...misses.map((m) => `  - ${m}`)] : [])].join('\n'));
}

function section(title: string, body: string): string {
  return `== ${title}\n${body}`;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function positiveInt(raw: string | undefined, name: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}
