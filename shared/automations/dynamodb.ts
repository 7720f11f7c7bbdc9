import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { outboxKey, type Table } from '#shared/platform/dynamodb/table.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import type { ActionRuns, AutomationRunStore, RunRecord } from './ports.ts';

// The read model of automation runs (GET /automations): one item per configured action,
// "automation_run#<action>" / "automation_run", updated by the automations function after
// each run with counters (ADD) and the last run and failure (SET). Last writer wins, which is
// what "last run" means; the counters never lose a run.

export const automationRunKey = tableKeys<[action: string]>('automation_run', 'automation_run');

export class DynamoAutomationRunStore implements AutomationRunStore {
  readonly table: Table;

  constructor(table: Table) {
    this.table = table;
  }

  async record(run: RunRecord): Promise<void> {
    const failed = run.outcome === 'failed';
    const item = Object.fromEntries(Object.entries(run).filter(([, v]) => v !== undefined));
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: automationRunKey(run.action),
        UpdateExpression: `SET #kind = :kind, #action = :action, last_run = :run${failed ? ', last_failure = :run' : ''} ADD runs :one${failed ? ', failures :one' : ''}`,
        ExpressionAttributeNames: { '#kind': tableSpec.kindAttribute, '#action': 'action' },
        ExpressionAttributeValues: { ':kind': 'automation_run', ':action': run.action, ':run': item, ':one': 1 },
      }),
    );
  }

  async runsOf(actions: readonly string[]): Promise<Map<string, ActionRuns>> {
    const items = await this.table.getMany(actions.map((action) => automationRunKey(action)));
    return new Map(
      items.map((item) => [
        String(item.action),
        {
          runs: Number(item.runs ?? 0),
          failures: Number(item.failures ?? 0),
          last_run: (item.last_run as RunRecord | undefined) ?? null,
          last_failure: (item.last_failure as RunRecord | undefined) ?? null,
        },
      ]),
    );
  }
}

/** Whether the outbox holds an event of this id (the transaction that wrote it committed). */
export async function outboxHas(table: Table, eventId: string): Promise<boolean> {
  return (await table.get(outboxKey(eventId), { consistent: true })) !== undefined;
}
