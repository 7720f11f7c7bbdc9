import { describe, expect, it } from 'vitest';
import { useTestCloud } from '#test/helpers/local-cloud.ts';

// Tags written natively (the web app's and the native API's `tags` field) reach Sell's
// /v2/tags over the whole local cloud: the contact's event goes through the outbox, the bus
// and the tag-registry consumer. Eventually consistent: polled with a generous timeout.

const session = useTestCloud();
const WAIT_MS = 20_000;

async function v2Tags(token: string, query: string): Promise<any[]> {
  const res = await fetch(`${session.cloud.url}/v2/tags?${query}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { data: unknown }[] }).items.map((i) => i.data);
}

describe('tags written natively', () => {
  it('are listed by GET /v2/tags once the tag-registry consumer has them', async () => {
    const pat = await session.api('POST', '/access_tokens', { token: session.as('rep1'), body: { name: 'sell' } });
    expect(pat.status, JSON.stringify(pat.body)).toBe(201);
    const name = `Native${Date.now().toString(36)}`;
    const contact = await session.api('POST', '/contacts', { token: session.as('rep1'), body: { last_name: 'Tagged' } });
    expect(contact.status, JSON.stringify(contact.body)).toBe(201);
    const query = `name=${name}&resource_type=contact`;
    expect(await v2Tags(pat.body.token, query)).toEqual([]);
    const tagged = await session.api('PATCH', `/contacts/${contact.body.id}`, {
      token: session.as('rep1'),
      body: { tags: [name, name.toLowerCase()] },
    });
    expect(tagged.status, JSON.stringify(tagged.body)).toBe(200);
    const deadline = Date.now() + WAIT_MS;
    let tags = await v2Tags(pat.body.token, query);
    while (tags.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      tags = await v2Tags(pat.body.token, query);
    }
    expect(tags).toEqual([expect.objectContaining({ id: expect.any(Number), name, resource_type: 'contact' })]);
    expect(tags[0].creator_id).toEqual(expect.any(Number));
  });
});
