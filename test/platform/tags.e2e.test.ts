import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createContactRoute, listContactsRoute, updateContactRoute } from '#shared/contacts/routes.ts';
import { createDealRoute, listDealsRoute, updateDealRoute } from '#shared/deals/routes.ts';
import { createLeadRoute, listLeadsRoute, updateLeadRoute } from '#shared/leads/routes.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// Tags of every record type that has them (deals, leads, contacts), as a client uses them: a
// tag with a comma is refused where it is written (the `tags` filter is a comma-separated
// list, so it could never be asked for); filters ignore case and records show tags as written;
// records stored before tags were matched that way are still found.

const session = useTestCloud();
const { call } = session;
let n = 0;
const unique = () => `${Date.now().toString(36)}${n++}`;

/** An answer, untyped: the three record types' bodies differ. */
interface Answer {
  status: number;
  body: any;
}

/** The body of an answer with `status` (the body is the message when not). */
function expectBody(answer: Answer, status: number): any {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  return answer.body;
}

/** One record type's create, update and list, as rep1 calls them. */
interface Kind {
  type: 'deal' | 'lead' | 'contact';
  create(tags: string[]): Promise<Answer>;
  update(id: string, tags: string[]): Promise<Answer>;
  list(tags: string): Promise<string[]>;
}

const ids = (page: { items: { id: string }[] }) => page.items.map((r) => r.id);

const kinds: Kind[] = [
  {
    type: 'deal',
    create: (tags) => call(createDealRoute, { as: 'rep1', body: { name: `Deal ${unique()}`, tags } }),
    update: (id, tags) => call(updateDealRoute, { as: 'rep1', params: { id }, body: { tags } }),
    list: async (tags) => ids(bodyOf(await call(listDealsRoute, { as: 'rep1', query: { tags } }))),
  },
  {
    type: 'lead',
    create: (tags) => call(createLeadRoute, { as: 'rep1', body: { last_name: `Lead ${unique()}`, tags } }),
    update: (id, tags) => call(updateLeadRoute, { as: 'rep1', params: { id }, body: { tags } }),
    list: async (tags) => ids(bodyOf(await call(listLeadsRoute, { as: 'rep1', query: { tags } }))),
  },
  {
    type: 'contact',
    create: (tags) => call(createContactRoute, { as: 'rep1', body: { is_organization: true, name: `Org ${unique()}`, tags } }),
    update: (id, tags) => call(updateContactRoute, { as: 'rep1', params: { id }, body: { tags } }),
    list: async (tags) => ids(bodyOf(await call(listContactsRoute, { as: 'rep1', query: { tags } }))),
  },
];

describe.each(kinds)('tags of a $type', (kind) => {
  it('refuses a tag with a comma on create and on update, naming the field', async () => {
    const refused = expectBody(await kind.create(['ok', 'Oslo, Norway']), 422);
    expect(refused.errors).toEqual([
      expect.objectContaining({ field: 'body.tags.1', message: expect.stringContaining('comma') }),
    ]);
    const record = expectBody(await kind.create([`plain${unique()}`]), 201);
    expect(expectBody(await kind.update(record.id, ['a,b']), 422).errors).toEqual([
      expect.objectContaining({ field: 'body.tags.0' }),
    ]);
  });

  it('filters ignoring case, shows the tag as written, and keeps one tag per spelling', async () => {
    const tag = `VIP-${unique()}`;
    const record = expectBody(await kind.create([tag, tag.toLowerCase(), 'Q4']), 201);
    expect(record.tags).toEqual([tag, 'Q4']);
    expect(await kind.list(tag.toLowerCase())).toEqual([record.id]);
    expect(await kind.list(`${tag.toUpperCase()},q4`)).toEqual([record.id]);
    expect(await kind.list(`${tag},q5`)).toEqual([]);
  });

  it('still finds a record stored before tags were matched ignoring case, by the tag as written', async () => {
    const tag = `Legacy-${unique()}`;
    const record = expectBody(await kind.create([tag]), 201);
    // What such a record looks like: no _tag_keys.
    await session.table().send(
      new UpdateCommand({
        TableName: session.cloud.names.tableName,
        Key: recordKey(kind.type, record.id),
        UpdateExpression: 'REMOVE #k',
        ExpressionAttributeNames: { '#k': '_tag_keys' },
      }),
    );
    expect(await kind.list(tag)).toEqual([record.id]);
    // Its next write stores the keys: then any case finds it.
    expectBody(await kind.update(record.id, [tag, 'other']), 200);
    expect(await kind.list(tag.toUpperCase())).toEqual([record.id]);
  });
});
