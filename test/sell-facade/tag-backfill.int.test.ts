import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { contactIndex } from '#shared/contacts/dynamodb.ts';
import { dealIndex } from '#shared/deals/dynamodb.ts';
import { leadIndex } from '#shared/leads/dynamodb.ts';
import { newId } from '#shared/kernel/ids.ts';
import { indexKeys, type IndexPartition } from '#shared/platform/dynamodb/partitions.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { TAG_BACKFILL_PAGE } from '#shared/sell-facade/dynamodb.ts';
import { tagRegistry, tagRegistryBackfill } from '#shared/sell-facade/runtime.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// The tag registry's backfill on DynamoDB Local: leads, contacts and deals written before the
// registry existed (raw puts: no event, so its consumer never saw them) have their tag names
// registered once per resource type ignoring case, their owner as creator, across chunks of
// a page; a chunk run again (a crash before its checkpoint) and a second run register nothing.

let table: Table;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
});

async function put(kind: 'lead' | 'contact' | 'deal', partition: IndexPartition, owner: string, tags?: string[]) {
  const id = newId();
  await table.client.send(
    new PutCommand({
      TableName: table.name,
      Item: {
        pk: `${kind}#${id}`,
        sk: kind,
        ...indexKeys(id, partition),
        kind,
        id,
        owner_id: owner,
        version: 1,
        ...(tags ? { tags } : {}),
      },
    }),
  );
}

describe('tag registry backfill', () => {
  it('registers every tag existing records carry, once, resumably', async () => {
    // More leads than a chunk holds: the tags of the last page arrive in a later chunk.
    for (let i = 0; i < TAG_BACKFILL_PAGE + 5; i++)
      await put('lead', leadIndex.all(), 'rita', i === TAG_BACKFILL_PAGE + 2 ? ['late'] : undefined);
    await put('lead', leadIndex.all(), 'rita', ['VIP', 'webinar']);
    await put('lead', leadIndex.all(), 'otto', ['vip']);
    await put('contact', contactIndex.all(), 'otto', ['vip', 'partner']);
    await put('deal', dealIndex.all(), 'rita', ['renewal']);
    expect(await tagRegistry().list()).toEqual([]);

    const migration = tagRegistryBackfill();
    let checkpoint: string | null = null;
    let chunks = 0;
    do {
      const before: string | null = checkpoint;
      checkpoint = await migration.step(before);
      // Each chunk run twice, as after a crash between its writes and its checkpoint.
      expect(await migration.step(before)).toBe(checkpoint);
      chunks++;
    } while (checkpoint !== null && chunks < 20);
    expect(checkpoint).toBeNull();
    expect(chunks).toBeGreaterThan(3);

    const registered = async () =>
      (await tagRegistry().list()).map((t) => `${t.resource_type}:${t.name.toLowerCase()}:${t.creator_id}`).sort();
    const expected = [
      'contact:partner:otto',
      'contact:vip:otto',
      'deal:renewal:rita',
      'lead:late:rita',
      'lead:vip:rita',
      'lead:webinar:rita',
    ];
    expect(await registered()).toEqual(expected);

    // A second run (a new deployment's, say) registers nothing.
    checkpoint = null;
    do checkpoint = await migration.step(checkpoint);
    while (checkpoint !== null);
    expect(await registered()).toEqual(expected);
  });
});
