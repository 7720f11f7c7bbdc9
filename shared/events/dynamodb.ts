import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { indexAttributes } from '#shared/platform/dynamodb/table-spec.ts';
import { outboxByDay, type Table } from '#shared/platform/dynamodb/table.ts';
import type { OutboxLog, StreamRead } from './ports.ts';

// The outbox as a log: its items sit in one index partition per UTC day of occurred_at, sorted
// by "<occurred_at>#<event_id>" (table.ts outboxByDay, outboxTimeKey), so reading after a key
// walks the days in order with one Query each (more when a day holds more than a page).

const DAY_MS = 86_400_000;
const nextDay = (day: string): string => new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS).toISOString().slice(0, 10);

export class DynamoOutboxLog implements OutboxLog {
  readonly #table: Table;

  constructor(table: Table) {
    this.#table = table;
  }

  async read(after: string, before: string, limit: number, maxRequests: number): Promise<StreamRead> {
    const events: StreamRead['events'] = [];
    let readTo: string | null = null;
    let requests = 0;
    const lastDay = before.slice(0, 10);
    for (let day = after.slice(0, 10); day <= lastDay; day = nextDay(day)) {
      const partition = outboxByDay(day);
      const { partitionKey, sortKey } = indexAttributes(partition.index);
      const lo = day === after.slice(0, 10) ? after : `${day}T`;
      const hi = day === lastDay ? before : `${day}T\uffff`;
      let start: Record<string, unknown> | undefined;
      do {
        if (requests >= maxRequests) return { events, readTo };
        requests++;
        const out = await this.#table.client.send(
          new QueryCommand({
            TableName: this.#table.name,
            IndexName: partition.index,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
            ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
            ExpressionAttributeValues: { ':pk': partition.pk, ':lo': lo, ':hi': hi },
            // One more than needed: BETWEEN includes `after` itself, which is skipped.
            Limit: limit - events.length + 1,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of out.Items ?? []) {
          const key = String(item[sortKey]);
          if (key <= after || key >= before) continue;
          events.push({ key, event: JSON.parse(String(item.event)) as DomainEvent });
          readTo = key;
          if (events.length === limit) return { events, readTo };
        }
        start = out.LastEvaluatedKey;
      } while (start);
      // The whole day up to `hi` is read: a time mark past every key read.
      readTo = day === lastDay ? before : `${nextDay(day)}T00:00:00.000Z`;
    }
    return { events, readTo };
  }
}
