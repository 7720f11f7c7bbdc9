import { describe, expect, it } from 'vitest';
import { useTestCloud } from '#test/helpers/local-cloud.ts';

// PENDING — rename to search-leads-contacts.test.ts once the leads and contacts routes are in
// shared/families.ts (and their route cases in test/helpers/route-cases.ts).
// Search (F1.6) across kinds on leads and contacts created over the API: by name, organisation
// name and e-mail, once per record, within the caller's visibility, following changes.

const { api, as, id } = useTestCloud();

interface Hit {
  kind: string;
  id: string;
  name: string;
  email: string | null;
  owner_id: string;
}

async function create(path: string, who: string, body: Record<string, unknown>): Promise<{ id: string }> {
  const res = await api('POST', path, { token: as('admin'), body: { ...body, owner_id: id(who) } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function search(who: string, query: string): Promise<Hit[]> {
  const res = await api<{ items: Hit[] }>('GET', `/search?${query}`, { token: as(who) });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items;
}

const kindsAndIds = (hits: Hit[]) => hits.map((h) => `${h.kind}:${h.id}`);

describe('search over leads and contacts', () => {
  it('finds a lead by first name, last name, organisation and e-mail, once, accent-insensitively', async () => {
    const lead = await create('/leads', 'rep1', {
      first_name: 'Élodie',
      last_name: 'Brunet',
      organization_name: 'Glacier Works',
      email: 'elodie.brunet@glacier.example',
    });
    const expected: Hit = {
      kind: 'lead',
      id: lead.id,
      name: 'Élodie Brunet',
      email: 'elodie.brunet@glacier.example',
      owner_id: id('rep1'),
    };
    expect(await search('rep1', 'q=elodie')).toEqual([expected]); // name and e-mail: one hit
    expect(await search('rep1', 'q=BRUN')).toEqual([expected]);
    expect(await search('rep1', 'q=glacier%20wo')).toEqual([expected]);
    expect(await search('rep1', 'q=elodie.brunet%40glacier')).toEqual([expected]);
  });

  it('finds people and organisation contacts, and mixes kinds closest first', async () => {
    const person = await create('/contacts', 'rep2', {
      first_name: 'Tobias',
      last_name: 'Halcyonson',
      email: 't.kray@example.com',
    });
    const org = await create('/contacts', 'rep2', { is_organization: true, name: 'Halcyon' });
    const deal = await create('/deals', 'rep2', { name: 'Halcyon renewal' });
    const lead = await create('/leads', 'rep2', { organization_name: 'Halcyon Labs' });
    const hits = await search('rep2', 'q=halcyon');
    // The exact name first, then longer names word by word: "halcyon", "halcyon labs",
    // "halcyon renewal", "halcyonson" (the person's last name).
    expect(kindsAndIds(hits)).toEqual([`contact:${org.id}`, `lead:${lead.id}`, `deal:${deal.id}`, `contact:${person.id}`]);
    expect(kindsAndIds(await search('rep2', 'q=halcyon&types=contacts'))).toEqual([`contact:${org.id}`, `contact:${person.id}`]);
    expect(kindsAndIds(await search('rep2', 'q=halcyon&types=leads,deals'))).toEqual([`lead:${lead.id}`, `deal:${deal.id}`]);
    expect(kindsAndIds(await search('rep2', 'q=t.kray'))).toEqual([`contact:${person.id}`]);
  });

  it('answers within visibility: a rep their own, a manager own and reports’, an admin all', async () => {
    const mine = await create('/leads', 'rep1', { first_name: 'Ingrid', last_name: 'Vesper' });
    const peer = await create('/contacts', 'rep2', { first_name: 'Igor', last_name: 'Vesper' });
    const solo = await create('/contacts', 'solo', { first_name: 'Ines', last_name: 'Vesper' });
    expect(kindsAndIds(await search('rep1', 'q=vesper'))).toEqual([`lead:${mine.id}`]);
    expect((await search('manager', 'q=vesper')).map((h) => h.id).sort()).toEqual([mine.id, peer.id].sort());
    expect((await search('admin', 'q=vesper')).map((h) => h.id).sort()).toEqual([mine.id, peer.id, solo.id].sort());
  });

  it('follows renames, e-mail and owner changes, and deletes', async () => {
    const lead = await create('/leads', 'rep1', { first_name: 'Oskar', last_name: 'Lindqvist', email: 'oskar@old.example' });
    const renamed = await api('PATCH', `/leads/${lead.id}`, {
      token: as('rep1'),
      body: { last_name: 'Lindgren', email: 'oskar@new.example' },
    });
    expect(renamed.status).toBe(200);
    expect(await search('rep1', 'q=lindqvist')).toEqual([]);
    expect(await search('rep1', 'q=lindgren')).toMatchObject([
      { id: lead.id, name: 'Oskar Lindgren', email: 'oskar@new.example' },
    ]);
    expect(await search('rep1', 'q=oskar%40old')).toEqual([]);

    const contact = await create('/contacts', 'rep1', { first_name: 'Petra', last_name: 'Quist' });
    const moved = await api('PATCH', `/contacts/${contact.id}`, { token: as('manager'), body: { owner_id: id('rep2') } });
    expect(moved.status).toBe(200);
    expect(await search('rep1', 'q=quist')).toEqual([]);
    expect(await search('rep2', 'q=quist')).toMatchObject([{ id: contact.id, owner_id: id('rep2') }]);

    expect((await api('DELETE', `/leads/${lead.id}`, { token: as('rep1') })).status).toBe(204);
    expect((await api('DELETE', `/contacts/${contact.id}`, { token: as('rep2') })).status).toBe(204);
    expect(await search('admin', 'q=lindgren')).toEqual([]);
    expect(await search('admin', 'q=quist')).toEqual([]);
  });
});
