import { loadConfig } from '#infra/config/load.ts';
import { startLocalCloud } from '#infra/local/cloud.ts';
import { seedLocalData } from '#infra/local/seed.ts';
import { listNotificationsRoute } from '#shared/notifications/routes.ts';
import { routeClient } from '#shared/platform/http/client.ts';
import { createTaskRoute } from '#shared/tasks/routes.ts';
import { lagMain, lagRow, lagTable, measureInChild } from './lag.ts';
import { atMost, formatMs, percentile, type Verdict } from './stats.ts';

// How late reminders land under `npm start`'s real clock (issue 13: ≤ 1 s locally): tasks are
// made with remind_at a few whole seconds ahead, one a second; the reminder-sync consumer
// schedules each in the local Scheduler, which fires on real time (its 250 ms tick) into the
// reminders function, whose task.reminder_due goes through the outbox, the stream and the bus
// to the notifications consumer. Measured from each remind_at (wall clock) to the event on the
// bus and to the rep's inbox counting it (GET /notifications polled every 20 ms).
//   node bench/reminder-lag.ts [--samples N]

export const REMINDER_LAG_LIMIT_MS = 1000;

export interface ReminderLagResult {
  runs: number;
  /** remind_at → task.reminder_due on the bus (ms), per reminder. */
  toBusMs: number[];
  /** remind_at → the inbox counts the reminder (ms), per reminder. */
  toInboxMs: number[];
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
  verdict: Verdict;
}

const POLL_MS = 20;
/** Far enough ahead that the sync arms each reminder before its time (Scheduler refuses past times). */
const LEAD_MS = 8_000;

export async function measureReminderLag(runs = 15): Promise<ReminderLagResult> {
  const config = loadConfig();
  let token = '';
  const onBus = new Map<string, number>();
  const cloud = await startLocalCloud({
    config,
    port: 0,
    sesPort: 0,
    functionSettings: { logLevel: 'ERROR' },
    extraRules: [
      {
        name: 'bench-reminders-due',
        pattern: { source: ['crm'], 'detail-type': ['task.reminder_due'] },
        target: async (e) => void onBus.set((e.detail as { metadata: { resource_id: string } }).metadata.resource_id, Date.now()),
      },
    ],
    onFreshTable: async (c) => {
      token = (await seedLocalData(c, config)).users.find((u) => u.email.startsWith('rep1@'))!.token;
    },
  });
  try {
    const call = routeClient({ baseUrl: cloud.url, token });
    const unread = async (): Promise<number> => {
      const answer = await call(listNotificationsRoute, { query: { limit: '100' } });
      if (answer.status !== 200) throw new Error(`GET /notifications: ${answer.status}`);
      const body = answer.body as { items: { kind: string; count: number }[] };
      return body.items.filter((n) => n.kind === 'task_reminder').reduce((sum, n) => sum + n.count, 0);
    };
    // Whole seconds (Scheduler's precision), one a second, the first LEAD_MS ahead.
    const first = Math.ceil((Date.now() + LEAD_MS) / 1000) * 1000;
    const tasks: { id: string; at: number }[] = [];
    // One warm-up reminder: the first invocation of each worker loads its modules.
    for (let i = 0; i < runs + 1; i++) {
      const at = first + i * 1000;
      const answer = await call(createTaskRoute, {
        body: {
          content: `Reminder lag ${i}`,
          due_date: new Date(at + 3600_000).toISOString(),
          remind_at: new Date(at).toISOString(),
        },
      });
      if (answer.status !== 201) throw new Error(`POST /tasks: ${answer.status} ${JSON.stringify(answer.body)}`);
      tasks.push({ id: (answer.body as { id: string }).id, at });
    }
    if (Date.now() > first - 1000) throw new Error('the tasks took too long to make: raise LEAD_MS');
    const before = await unread();
    const inboxAt: number[] = [];
    const deadline = first + (runs + 1) * 1000 + 10_000;
    while (inboxAt.length < tasks.length) {
      const count = (await unread()) - before;
      while (inboxAt.length < count) inboxAt.push(Date.now());
      if (Date.now() > deadline) throw new Error(`${inboxAt.length} of ${tasks.length} reminders reached the inbox`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const measured = tasks.slice(1);
    const toBusMs = measured.map((t) => (onBus.get(t.id) ?? Number.NaN) - t.at);
    // Reminders land in order (a second apart): the inbox's n-th count is the n-th reminder.
    const toInboxMs = measured.map((t, i) => inboxAt[i + 1]! - t.at);
    const p90Ms = percentile(toInboxMs, 90);
    return {
      runs,
      toBusMs,
      toInboxMs,
      p50Ms: percentile(toInboxMs, 50),
      p90Ms,
      maxMs: Math.max(...toInboxMs),
      verdict: atMost(Math.max(...toInboxMs), REMINDER_LAG_LIMIT_MS),
    };
  } finally {
    await cloud.stop();
  }
}

export function reminderLagTable(result: ReminderLagResult): string {
  return lagTable(
    `Reminder lateness on the local cloud, real clock: remind_at → delivered (${result.runs} reminders, one a second)`,
    [
      lagRow('remind_at → task.reminder_due on the bus', result.toBusMs),
      lagRow(
        "remind_at → counted in the rep's inbox",
        result.toInboxMs,
        `max ≤ ${formatMs(REMINDER_LAG_LIMIT_MS, 0)}`,
        result.verdict,
      ),
    ],
  );
}

/** measureReminderLag in a fresh process (see bench/lag.ts). */
export function measureReminderLagInChild(runs = 15): Promise<ReminderLagResult> {
  return measureInChild(import.meta.url, runs);
}

if (import.meta.main) await lagMain(15, measureReminderLag, reminderLagTable);
