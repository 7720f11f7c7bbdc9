import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import type { createContactInput } from '#shared/contacts/domain.ts';
import { createContactRoute, deleteContactRoute, updateContactRoute } from '#shared/contacts/routes.ts';
import { createDealRoute } from '#shared/deals/routes.ts';
import type { createLeadInput } from '#shared/leads/domain.ts';
import { createLeadRoute, deleteLeadRoute, updateLeadRoute } from '#shared/leads/routes.ts';
import type { ResponseBody, RouteInput } from '#shared/platform/http/client.ts';
import { searchRecordsRoute } from '#shared/search/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// Search (F1.6) across kinds on leads and contacts created over the API: by name, organisation
// name and e-mail, once per record, within the caller's visibility, following changes.

const { call, id } = useTestCloud();

type Hit = ResponseBody<typeof searchRecordsRoute>['items'][number];
type SearchQuery = RouteInput<typeof searchRecordsRoute>['query'];

// Made by the admin for `who`, so that visibility alone decides who finds what.
async function newLead(who: string, body: z.input<typeof createLeadInput>) {
  return bodyOf(await call(createLeadRoute, { as: 'admin', body: { ...body, owner_id: id(who) } }), 201);
}
async function newContact(who: string, body: z.input<typeof createContactInput>) {
  return bodyOf(await call(createContactRoute, { as: 'admin', body: { ...body, owner_id: id(who) } }), 201);
}
async function newDeal(who: string, name: string) {
  return bodyOf(await call(createDealRoute, { as: 'admin', body: { name, owner_id: id(who) } }), 201);
}

async function search(who: string, query: SearchQuery): Promise<Hit[]> {
  return bodyOf(await call(searchRecordsRoute, { as: who, query }), 200).items;
}

const kindsAndIds = (hits: Hit[]) => hits.map((h) => `${h.kind}:${h.id}`);

describe('search over leads and contacts', () => {
  it('finds whatever a record was saved with: an organisation named with an emoji, a deal named with punctuation alone', async () => {
    const canoe = await newContact('rep1', { is_organization: true, name: '🛶' });
    const kayaks = await newContact('rep1', { is_organization: true, name: `🛶 Fjord kayaks ${Date.now()}` });
    const bang = await newDeal('rep1', '!!!');
    const hits = await search('rep1', { q: '🛶' });
    expect(kindsAndIds(hits)).toEqual(expect.arrayContaining([`contact:${canoe.id}`, `contact:${kayaks.id}`]));
    expect(kindsAndIds(await search('rep1', { q: 'fjord kay' }))).toContain(`contact:${kayaks.id}`);
    expect(kindsAndIds(await search('rep1', { q: '!!!' }))).toContain(`deal:${bang.id}`);
    // Someone else's records stay out of reach, pictographs or not.
    expect(kindsAndIds(await search('rep2', { q: '🛶' }))).not.toContain(`contact:${canoe.id}`);
  });

  it('finds a lead by first name, last name, organisation and e-mail, once, accent-insensitively', async () => {
    const lead = await newLead('rep1', {
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
    expect(await search('rep1', { q: 'elodie' })).toEqual([expected]); // name and e-mail: one hit
    expect(await search('rep1', { q: 'BRUN' })).toEqual([expected]);
    expect(await search('rep1', { q: 'glacier wo' })).toEqual([expected]);
    expect(await search('rep1', { q: 'elodie.brunet@glacier' })).toEqual([expected]);
  });

  it('finds people and organisation contacts, and mixes kinds closest first', async () => {
    const person = await newContact('rep2', {
      first_name: 'Tobias',
      last_name: 'Halcyonson',
      email: 't.kray@example.com',
    });
    const org = await newContact('rep2', { is_organization: true, name: 'Halcyon' });
    const deal = await newDeal('rep2', 'Halcyon renewal');
    const lead = await newLead('rep2', { organization_name: 'Halcyon Labs' });
    const hits = await search('rep2', { q: 'halcyon' });
    // The exact name first, then longer names word by word: "halcyon", "halcyon labs",
    // "halcyon renewal", "halcyonson" (the person's last name).
    expect(kindsAndIds(hits)).toEqual([`contact:${org.id}`, `lead:${lead.id}`, `deal:${deal.id}`, `contact:${person.id}`]);
    expect(kindsAndIds(await search('rep2', { q: 'halcyon', types: 'contacts' }))).toEqual([
      `contact:${org.id}`,
      `contact:${person.id}`,
    ]);
    expect(kindsAndIds(await search('rep2', { q: 'halcyon', types: 'leads,deals' }))).toEqual([
      `lead:${lead.id}`,
      `deal:${deal.id}`,
    ]);
    expect(kindsAndIds(await search('rep2', { q: 't.kray' }))).toEqual([`contact:${person.id}`]);
  });

  it('answers within visibility: a rep their own, a manager own and reports’, an admin all', async () => {
    const mine = await newLead('rep1', { first_name: 'Ingrid', last_name: 'Vesper' });
    const peer = await newContact('rep2', { first_name: 'Igor', last_name: 'Vesper' });
    const solo = await newContact('solo', { first_name: 'Ines', last_name: 'Vesper' });
    expect(kindsAndIds(await search('rep1', { q: 'vesper' }))).toEqual([`lead:${mine.id}`]);
    expect((await search('manager', { q: 'vesper' })).map((h) => h.id).sort()).toEqual([mine.id, peer.id].sort());
    expect((await search('admin', { q: 'vesper' })).map((h) => h.id).sort()).toEqual([mine.id, peer.id, solo.id].sort());
  });

  it('follows renames, e-mail and owner changes, and deletes', async () => {
    const lead = await newLead('rep1', { first_name: 'Oskar', last_name: 'Lindqvist', email: 'oskar@old.example' });
    const renamed = await call(updateLeadRoute, {
      as: 'rep1',
      params: { id: lead.id },
      body: { last_name: 'Lindgren', email: 'oskar@new.example' },
    });
    expect(renamed.status).toBe(200);
    expect(await search('rep1', { q: 'lindqvist' })).toEqual([]);
    expect(await search('rep1', { q: 'lindgren' })).toMatchObject([
      { id: lead.id, name: 'Oskar Lindgren', email: 'oskar@new.example' },
    ]);
    expect(await search('rep1', { q: 'oskar@old' })).toEqual([]);

    const contact = await newContact('rep1', { first_name: 'Petra', last_name: 'Quist' });
    const moved = await call(updateContactRoute, {
      as: 'manager',
      params: { id: contact.id },
      body: { owner_id: id('rep2') },
    });
    expect(moved.status).toBe(200);
    expect(await search('rep1', { q: 'quist' })).toEqual([]);
    expect(await search('rep2', { q: 'quist' })).toMatchObject([{ id: contact.id, owner_id: id('rep2') }]);

    expect((await call(deleteLeadRoute, { as: 'rep1', params: { id: lead.id } })).status).toBe(204);
    expect((await call(deleteContactRoute, { as: 'rep2', params: { id: contact.id } })).status).toBe(204);
    expect(await search('admin', { q: 'lindgren' })).toEqual([]);
    expect(await search('admin', { q: 'quist' })).toEqual([]);
  });
});
