import { loadConfig, parseConfig } from '#infra/config/load.ts';
import { startLocalCloud } from '#infra/local/cloud.ts';
import { seedLocalData } from '#infra/local/seed.ts';
import { createDealRoute, updateDealRoute } from '#shared/deals/routes.ts';
import { routeClient } from '#shared/platform/http/client.ts';
import { listPipelinesRoute, listStagesRoute } from '#shared/pipelines/routes.ts';
import { taskAdapters } from '#shared/tasks/runtime.ts';
import { lagMain, lagRow, lagTable, measureInChild } from './lag.ts';
import { atMost, formatMs, percentile, type Verdict } from './stats.ts';

// The lag from a write to the automated action's effect, on the whole local cloud (the
// issue's target: p90 ≤ 100 ms): a deal moved to Quote by PATCH /deals/{id}, then the task
// "Send the quote" the config automation makes for its owner. Each sample runs from the
// PATCH's answer (the write committed) to the first read that finds the task; the path in
// between is the table stream (polled every 25 ms while idle, as the local poller does), the outbox
// publisher, the bus and its rule (pattern + input transformer), and the automated-actions
// function's own writes. The reads poll the table every 2 ms.
//   node bench/automation-lag.ts [--samples N]

export const AUTOMATION_LAG_P90_LIMIT_MS = 100;

export interface AutomationLagResult {
  runs: number;
  samplesMs: number[];
  /** From the same write to the stage change reaching the bus's rules (stream + publisher). */
  toBusMs: number[];
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
  verdict: Verdict;
}

const POLL_MS = 2;
const TIMEOUT_MS = 10_000;

export async function measureAutomationLag(runs = 30): Promise<AutomationLagResult> {
  const config = parseConfig({
    ...loadConfig(),
    automations: [
      {
        name: 'quote-follow-up',
        trigger: { event: 'deal.stage_changed', stage: 'quote' },
        actions: [{ type: 'create_task', content: 'Send the quote', assignee: 'owner', due_in: '2d' }],
      },
    ],
  });
  let token = '';
  const onBus = new Map<string, number>();
  const cloud = await startLocalCloud({
    config,
    port: 0,
    sesPort: 0,
    functionSettings: { logLevel: 'ERROR' },
    extraRules: [
      {
        name: 'bench-stage-changes',
        pattern: { source: ['crm'], 'detail-type': ['deal.stage_changed'] },
        target: async (e) =>
          void onBus.set((e.detail as { metadata: { resource_id: string } }).metadata.resource_id, performance.now()),
      },
    ],
    onFreshTable: async (c) => {
      token = (await seedLocalData(c, config)).users.find((u) => u.email.startsWith('rep1@'))!.token;
    },
  });
  try {
    const call = routeClient({ baseUrl: cloud.url, token });
    const ok = <R = { items: { id: string; key?: string }[] }>(answer: { status: number; body: unknown }): R => {
      if (answer.status >= 300) throw new Error(`bench request failed: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body as R;
    };
    const pipelineId = ok(await call(listPipelinesRoute, {})).items[0]!.id;
    const stages = ok(await call(listStagesRoute, { query: { pipeline_id: pipelineId } })).items;
    const quote = stages.find((s) => s.key === 'quote')!.id;
    const tasks = taskAdapters().tasks;
    const samplesMs: number[] = [];
    const toBusMs: number[] = [];
    // Two warm-up moves: the first invocations of each worker load their modules.
    for (let i = 0; i < runs + 2; i++) {
      const deal = ok<{ id: string }>(await call(createDealRoute, { body: { name: `Lag ${i}` } }));
      ok(await call(updateDealRoute, { params: { id: deal.id }, body: { stage_id: quote } }));
      const written = performance.now();
      for (;;) {
        const found = await tasks.tasksOf({ resource_type: 'deal', resource_id: deal.id }, 5);
        if (found.items.length > 0) break;
        if (performance.now() - written > TIMEOUT_MS) throw new Error(`no task for deal ${deal.id} after ${TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      if (i >= 2) {
        samplesMs.push(performance.now() - written);
        toBusMs.push((onBus.get(deal.id) ?? Number.NaN) - written);
      }
    }
    const p90Ms = percentile(samplesMs, 90);
    return {
      runs,
      samplesMs,
      toBusMs,
      p50Ms: percentile(samplesMs, 50),
      p90Ms,
      maxMs: Math.max(...samplesMs),
      verdict: atMost(p90Ms, AUTOMATION_LAG_P90_LIMIT_MS),
    };
  } finally {
    await cloud.stop();
  }
}

export function automationLagTable(result: AutomationLagResult): string {
  return lagTable(
    `Automation lag on the local cloud: PATCH /deals/{id} to Quote → the automation's task readable (${result.runs} moves)`,
    [
      lagRow('write → stage change on the bus', result.toBusMs),
      lagRow(
        "write → the automation's task",
        result.samplesMs,
        `p90 ≤ ${formatMs(AUTOMATION_LAG_P90_LIMIT_MS, 0)}`,
        result.verdict,
      ),
    ],
  );
}

/** measureAutomationLag in a fresh process (see bench/lag.ts). */
export function measureAutomationLagInChild(runs = 30): Promise<AutomationLagResult> {
  return measureInChild(import.meta.url, runs);
}

if (import.meta.main) await lagMain(30, measureAutomationLag, automationLagTable);
