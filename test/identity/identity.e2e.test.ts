import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#infra/local/cloud.ts';
import type { DevUser } from '#infra/local/seed.ts';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { apiClient, startTestCloud } from '#test/helpers/local-cloud.ts';

let cloud: LocalCloud;
let api: ReturnType<typeof apiClient>;
let users: Record<string, DevUser>;
let n = 0;
const unique = () => `${Date.now().toString(36)}${n++}`;

const busEvents: BusEvent[] = [];

beforeAll(async () => {
  const started = await startTestCloud({
    extraRules: [
      {
        name: 'test-users',
        pattern: { source: ['crm'], 'detail-type': [{ prefix: 'user.' }] },
        target: async (e) => void busEvents.push(e),
      },
    ],
  });
  cloud = started.cloud;
  api = apiClient(cloud.url);
  users = Object.fromEntries(started.users.map((u) => [u.email.split('@')[0]!, u]));
});

afterAll(async () => {
  await cloud?.stop();
});

const as = (who: string) => users[who]!.token;

describe('users', () => {
  it('GET /users/self answers each seeded user with their role', async () => {
    for (const [who, user] of Object.entries(users)) {
      const res = await api('GET', '/users/self', { token: as(who) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: user.user_id, email: user.email, role: user.role, status: 'active' });
    }
  });

  it('shows the manager their direct reports, and a rep none', async () => {
    const manager = await api('GET', '/users/self', { token: as('manager') });
    expect([...manager.body.direct_reports].sort()).toEqual([users.rep1!.user_id, users.rep2!.user_id].sort());
    const rep = await api('GET', '/users/self', { token: as('rep1') });
    expect(rep.body.direct_reports).toEqual([]);
    expect(rep.body.reports_to).toBe(users.manager!.user_id);
  });

  it("refuses a rep's PATCH /users/{id} with 403 and changes nothing", async () => {
    const res = await api('PATCH', `/users/${users.rep1!.user_id}`, { token: as('rep1'), body: { role: 'admin' } });
    expect(res.status).toBe(403);
    const after = await api('GET', `/users/${users.rep1!.user_id}`, { token: as('admin') });
    expect(after.body.role).toBe('user');
  });

  it('lets an admin invite a user, refuses the same e-mail twice, and names bad fields', async () => {
    const email = `Invitee-${unique()}@Example.com`;
    const created = await api('POST', '/users', { token: as('admin'), body: { name: 'Invitee', email, role: 'user' } });
    expect(created.status).toBe(201);
    expect(created.body.email).toBe(email.toLowerCase());
    expect(created.headers.get('location')).toBe(`/users/${created.body.id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    const again = await api('POST', '/users', {
      token: as('admin'),
      body: { name: 'Again', email: email.toLowerCase(), role: 'user' },
    });
    expect(again.status).toBe(409);
    const bad = await api('POST', '/users', {
      token: as('admin'),
      body: { name: 'X', email: 'x@example.com', role: 'user', reports_to: users.rep2!.user_id },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('user.manager_not_eligible');
    expect(bad.body.errors).toEqual([{ field: 'body.reports_to', message: 'must be a manager or an admin', code: 'invalid' }]);
  });

  it('publishes user.created on the bus through the outbox, for the directory sync', async () => {
    const created = await api('POST', '/users', {
      token: as('admin'),
      body: { name: 'Evented', email: `ev-${unique()}@example.com`, role: 'manager' },
    });
    const deadline = Date.now() + 2_000;
    const find = () =>
      busEvents.find((e) => e['detail-type'] === 'user.created' && (e.detail as any).data.id === created.body.id);
    while (!find() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((find()?.detail as any)?.metadata).toMatchObject({
      event_type: 'user.created',
      actor_id: users.admin!.user_id,
      resource_id: created.body.id,
    });
  });

  it('answers malformed JSON with a problem+json 400', async () => {
    const res = await api('POST', '/users', { token: as('admin'), rawBody: '{"name": ' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('refuses a reporting loop, naming body.reports_to', async () => {
    const top = await api('POST', '/users', {
      token: as('admin'),
      body: { name: 'Top', email: `top-${unique()}@example.com`, role: 'manager' },
    });
    const middle = await api('POST', '/users', {
      token: as('admin'),
      body: { name: 'Middle', email: `mid-${unique()}@example.com`, role: 'manager', reports_to: top.body.id },
    });
    const loop = await api('PATCH', `/users/${top.body.id}`, { token: as('admin'), body: { reports_to: middle.body.id } });
    expect(loop.status).toBe(422);
    expect(loop.body.errors[0].field).toBe('body.reports_to');
    const self = await api('PATCH', `/users/${top.body.id}`, { token: as('admin'), body: { reports_to: top.body.id } });
    expect(self.status).toBe(422);
  });

  it('gives a disabled user 403 on every call, and gives access back when enabled', async () => {
    const res = await api('POST', '/users', {
      token: as('admin'),
      body: { name: 'Leaver', email: `leaver-${unique()}@example.com`, role: 'user' },
    });
    const token = cloud.auth.token({ sub: res.body.id, email: res.body.email, role: 'user' });
    expect((await api('GET', '/users/self', { token })).status).toBe(200);
    expect((await api('POST', `/users/${res.body.id}/disable`, { token: as('admin') })).body.status).toBe('inactive');
    const refused = await api('GET', '/users/self', { token });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/disabled/);
    await api('POST', `/users/${res.body.id}/enable`, { token: as('admin') });
    expect((await api('GET', '/users/self', { token })).status).toBe(200);
  });

  it('never leaves the company without an active admin', async () => {
    const demote = await api('PATCH', `/users/${users.admin!.user_id}`, { token: as('admin'), body: { role: 'manager' } });
    expect(demote.status).toBe(409);
    expect(demote.body.detail).toMatch(/last active admin/);
    const second = await api('POST', '/users', {
      token: as('admin'),
      body: { name: 'Second Admin', email: `admin2-${unique()}@example.com`, role: 'admin' },
    });
    const secondToken = cloud.auth.token({ sub: second.body.id, email: second.body.email, role: 'admin' });
    expect((await api('POST', `/users/${users.admin!.user_id}/disable`, { token: secondToken })).status).toBe(200);
    const last = await api('PATCH', `/users/${second.body.id}`, { token: secondToken, body: { role: 'user' } });
    expect(last.status).toBe(409);
    expect((await api('POST', `/users/${users.admin!.user_id}/enable`, { token: secondToken })).status).toBe(200);
  });

  it('refuses to demote a manager who still has direct reports', async () => {
    const res = await api('PATCH', `/users/${users.manager!.user_id}`, { token: as('admin'), body: { role: 'user' } });
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/2 direct report/);
  });

  it('honours If-Match with 412 and the current record', async () => {
    const res = await api('POST', '/users', {
      token: as('admin'),
      body: { name: 'Versioned', email: `v-${unique()}@example.com`, role: 'user' },
    });
    const ok = await api('PATCH', `/users/${res.body.id}`, {
      token: as('admin'),
      body: { name: 'V2' },
      headers: { 'if-match': '"1"' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
    const stale = await api('PATCH', `/users/${res.body.id}`, {
      token: as('admin'),
      body: { name: 'V3' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.current).toMatchObject({ name: 'V2', version: 2 });
  });

  it('replays a POST with the same Idempotency-Key and refuses the key with another body', async () => {
    const key = `key-${unique()}`;
    const body = { name: 'Once', email: `once-${unique()}@example.com`, role: 'user' };
    const first = await api('POST', '/users', { token: as('admin'), body, headers: { 'idempotency-key': key } });
    const second = await api('POST', '/users', { token: as('admin'), body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    const other = await api('POST', '/users', {
      token: as('admin'),
      body: { ...body, name: 'Twice' },
      headers: { 'idempotency-key': key },
    });
    expect(other.status).toBe(422);
    expect(other.body.errors[0].field).toBe('headers.idempotency-key');
  });
});

describe('teams', () => {
  it('refuses to delete a team with members unless they move, then moves them', async () => {
    const from = await api('POST', '/teams', { token: as('admin'), body: { name: `From ${unique()}` } });
    const to = await api('POST', '/teams', { token: as('admin'), body: { name: `To ${unique()}` } });
    const member = await api('POST', '/users', {
      token: as('admin'),
      body: { name: 'Member', email: `member-${unique()}@example.com`, role: 'user', team_id: from.body.id },
    });
    expect((await api('GET', `/teams/${from.body.id}`, { token: as('rep1') })).body.member_count).toBe(1);
    const refused = await api('DELETE', `/teams/${from.body.id}`, { token: as('admin') });
    expect(refused.status).toBe(409);
    const moved = await api('DELETE', `/teams/${from.body.id}?move_members_to=${to.body.id}`, { token: as('admin') });
    expect(moved.status).toBe(204);
    expect((await api('GET', `/users/${member.body.id}`, { token: as('admin') })).body.team_id).toBe(to.body.id);
    expect((await api('GET', `/teams/${to.body.id}`, { token: as('admin') })).body.member_count).toBe(1);
    expect((await api('GET', `/teams/${from.body.id}`, { token: as('admin') })).status).toBe(404);
  });

  it('lists team members through GET /users?team_id=', async () => {
    const list = await api('GET', '/users?limit=100', { token: as('rep1') });
    const east = list.body.items.find((u: { email: string }) => u.email === 'manager@example.com').team_id;
    const members = await api('GET', `/users?team_id=${east}`, { token: as('rep1') });
    expect(members.body.items.map((u: { email: string }) => u.email).sort()).toEqual([
      'manager@example.com',
      'rep1@example.com',
      'rep2@example.com',
    ]);
  });
});

describe('account', () => {
  it('starts from the deployment config and lets only admins change it', async () => {
    const before = await api('GET', '/account', { token: as('rep1') });
    expect(before.body).toMatchObject({ name: 'Acme Corp', currency: 'USD', timezone: 'Etc/UTC', time_format: '24h' });
    expect((await api('PATCH', '/account', { token: as('manager'), body: { currency: 'EUR' } })).status).toBe(403);
    const bad = await api('PATCH', '/account', { token: as('admin'), body: { currency: 'euro', timezone: 'Mars/Base' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.currency', 'body.timezone']);
    const changed = await api('PATCH', '/account', { token: as('admin'), body: { currency: 'EUR', timezone: 'Europe/Paris' } });
    expect(changed.status).toBe(200);
    expect((await api('GET', '/account', { token: as('rep2') })).body).toMatchObject({
      currency: 'EUR',
      timezone: 'Europe/Paris',
    });
  });
});
