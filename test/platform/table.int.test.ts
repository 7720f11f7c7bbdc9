import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { domainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { fromItem, type Table } from '#shared/platform/dynamodb/table.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';

let table: Table;
const meter = new CountingMeter();

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
});

const ctx = () => ({ actor_id: 'u1', correlation_id: 'c1', now: new Date(), newId: () => newId() });

describe('Table.write', () => {
  it('writes a record and its outbox event in one transaction', async () => {
    const id = newId();
    const event = domainEvent(ctx(), 'thing.created', { resource_type: 'thing', resource_id: id }, { id, name: 'a' });
    meter.reset();
    await table.write(
      [{ type: 'create', item: { pk: `thing#${id}`, sk: 'thing', kind: 'thing', id, name: 'a', version: 1 } }],
      [event],
    );
    expect(meter.calls.map((c) => c.operation)).toEqual(['TransactWriteItems']);
    const outbox = await table.get({ pk: `event#${event.metadata.event_id}`, sk: 'event' });
    expect(outbox?.kind).toBe('event');
    expect(JSON.parse(outbox?.event)).toEqual(event);
    expect(outbox?.expires_at).toBeGreaterThan(Date.now() / 1000);
    expect(fromItem((await table.get({ pk: `thing#${id}`, sk: 'thing' })) ?? {})).toEqual({ id, name: 'a', version: 1 });
  });

  it('refuses a stale version, writes nothing, and reports the current record', async () => {
    const id = newId();
    const key = { pk: `thing#${id}`, sk: 'thing' };
    await table.write([{ type: 'create', item: { ...key, id, name: 'a', version: 1 } }]);
    await table.write([{ type: 'replace', item: { ...key, id, name: 'b', version: 2 }, expectedVersion: 1 }]);
    const event = domainEvent(ctx(), 'thing.updated', { resource_type: 'thing', resource_id: id }, { id });
    const stale = table.write(
      [
        {
          type: 'replace',
          item: { ...key, id, name: 'c', version: 2 },
          expectedVersion: 1,
          onConflict: (current) => new VersionMismatchError('thing', id, current ? fromItem(current) : null),
        },
      ],
      [event],
    );
    await expect(stale).rejects.toBeInstanceOf(VersionMismatchError);
    await stale.catch((e: VersionMismatchError) => expect(e.current).toMatchObject({ name: 'b', version: 2 }));
    expect((await table.get(key))?.name).toBe('b');
    expect(await table.get({ pk: `event#${event.metadata.event_id}`, sk: 'event' })).toBeUndefined();
  });

  it('maps a duplicate create to the conflict the caller names', async () => {
    const key = { pk: `unique#${newId()}`, sk: 'unique' };
    await table.write([{ type: 'create', item: key }]);
    await expect(
      table.write([{ type: 'create', item: key, onConflict: () => new ConflictError('taken') }]),
    ).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('Table.page', () => {
  const owners = ['o1', 'o2', 'o3'].map((o) => `${o}-${newId()}`);
  const ids: { id: string; owner: string }[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 12; i++) {
      const owner = owners[i % 3]!;
      const id = newId();
      ids.push({ id, owner });
      await table.write([
        { type: 'create', item: { pk: `thing#${id}`, sk: 'thing', gsi1pk: `thing#${owner}`, gsi1sk: id, id, owner } },
      ]);
    }
  });

  it('merges one query per owner, newest first, across pages with no gap or repeat', async () => {
    const partitions = owners.map((o) => ({ index: 'gsi1' as const, pk: `thing#${o}` }));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      meter.reset();
      const page = await table.page({ partitions, limit: 5, cursor });
      expect(meter.calls.filter((c) => c.operation === 'Query').length).toBeLessThanOrEqual(owners.length);
      seen.push(...page.items.map((i) => String(i.id)));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(ids.map((i) => i.id).reverse());
    expect(pages).toBe(3);
  });

  it('refuses a cursor from another query and an edited cursor with a 422 naming query.cursor', async () => {
    const first = await table.page({ partitions: [{ index: 'gsi1', pk: `thing#${owners[0]}` }], limit: 1 });
    expect(first.next_cursor).toBeTruthy();
    const other = table.page({ partitions: [{ index: 'gsi1', pk: `thing#${owners[1]}` }], limit: 1, cursor: first.next_cursor! });
    await expect(other).rejects.toMatchObject({ name: 'ValidationError', problems: [{ field: 'query.cursor' }] });
    const [body, sig] = first.next_cursor!.split('.');
    const edited = `${Buffer.from(Buffer.from(body!, 'base64url').toString().replace('o1', 'o2')).toString('base64url')}.${sig}`;
    const forged = table.page({ partitions: [{ index: 'gsi1', pk: `thing#${owners[0]}` }], limit: 1, cursor: edited });
    await expect(forged).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
