import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import type { createUserInput } from '#shared/identity/domain.ts';
import {
  createTeamRoute,
  createUserRoute,
  deleteTeamRoute,
  disableUserRoute,
  enableUserRoute,
  getAccountRoute,
  getSelfRoute,
  getTeamRoute,
  getUserRoute,
  listUsersRoute,
  updateAccountRoute,
  updateUserRoute,
} from '#shared/identity/routes.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

const session = useTestCloud({
  extraRules: [
    {
      name: 'test-users',
      pattern: { source: ['crm'], 'detail-type': [{ prefix: 'user.' }] },
      target: async (e) => void busEvents.push(e),
    },
  ],
});
const { api, call, users, as } = session;
let n = 0;
const unique = () => `${Date.now().toString(36)}${n++}`;

const busEvents: BusEvent[] = [];

const newUser = async (body: z.input<typeof createUserInput>) => bodyOf(await call(createUserRoute, { as: 'admin', body }), 201);

describe('users', () => {
  it('GET /users/self answers each seeded user with their role', async () => {
    for (const [who, user] of Object.entries(users)) {
      const res = await call(getSelfRoute, { as: who });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: user.user_id, email: user.email, role: user.role, status: 'active' });
    }
  });

  it('shows the manager their direct reports, and a rep none', async () => {
    const manager = bodyOf(await call(getSelfRoute, { as: 'manager' }));
    expect([...manager.direct_reports].sort()).toEqual([users.rep1!.user_id, users.rep2!.user_id].sort());
    const rep = bodyOf(await call(getSelfRoute, { as: 'rep1' }));
    expect(rep.direct_reports).toEqual([]);
    expect(rep.reports_to).toBe(users.manager!.user_id);
  });

  it("refuses a rep's PATCH /users/{id} with 403 and changes nothing", async () => {
    const params = { id: users.rep1!.user_id };
    const res = await call(updateUserRoute, { as: 'rep1', params, body: { role: 'admin' } });
    expect(res.status).toBe(403);
    const after = await call(getUserRoute, { as: 'admin', params });
    expect(bodyOf(after).role).toBe('user');
  });

  it('lets an admin invite a user, refuses the same e-mail twice, and names bad fields', async () => {
    const email = `Invitee-${unique()}@Example.com`;
    const created = await call(createUserRoute, { as: 'admin', body: { name: 'Invitee', email, role: 'user' } });
    expectStatus(created, 201);
    expect(created.body.email).toBe(email.toLowerCase());
    expect(created.headers.get('location')).toBe(`/users/${created.body.id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    const again = await call(createUserRoute, {
      as: 'admin',
      body: { name: 'Again', email: email.toLowerCase(), role: 'user' },
    });
    expect(again.status).toBe(409);
    const bad = await call(createUserRoute, {
      as: 'admin',
      body: { name: 'X', email: 'x@example.com', role: 'user', reports_to: users.rep2!.user_id },
    });
    expectStatus(bad, 422);
    expect(bad.body.code).toBe('user.manager_not_eligible');
    expect(bad.body.errors).toEqual([{ field: 'body.reports_to', message: 'must be a manager or an admin', code: 'invalid' }]);
  });

  it('publishes user.created on the bus through the outbox, for the directory sync', async () => {
    const created = await newUser({ name: 'Evented', email: `ev-${unique()}@example.com`, role: 'manager' });
    const deadline = Date.now() + 2_000;
    const find = () => busEvents.find((e) => e['detail-type'] === 'user.created' && (e.detail as any).data.id === created.id);
    while (!find() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((find()?.detail as any)?.metadata).toMatchObject({
      event_type: 'user.created',
      actor_id: users.admin!.user_id,
      resource_id: created.id,
    });
  });

  it('answers malformed JSON with a problem+json 400', async () => {
    // Not JSON at all: the raw client.
    const res = await api('POST', '/users', { token: as('admin'), rawBody: '{"name": ' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('refuses a reporting loop, naming body.reports_to', async () => {
    const top = await newUser({ name: 'Top', email: `top-${unique()}@example.com`, role: 'manager' });
    const middle = await newUser({
      name: 'Middle',
      email: `mid-${unique()}@example.com`,
      role: 'manager',
      reports_to: top.id,
    });
    const params = { id: top.id };
    const loop = await call(updateUserRoute, { as: 'admin', params, body: { reports_to: middle.id } });
    expectStatus(loop, 422);
    expect(loop.body.errors?.[0]?.field).toBe('body.reports_to');
    const self = await call(updateUserRoute, { as: 'admin', params, body: { reports_to: top.id } });
    expect(self.status).toBe(422);
  });

  it('gives a disabled user 403 on every call, and gives access back when enabled', async () => {
    const leaver = await newUser({ name: 'Leaver', email: `leaver-${unique()}@example.com`, role: 'user' });
    const params = { id: leaver.id };
    const token = session.cloud.auth.token({ sub: leaver.id, email: leaver.email, role: 'user' });
    expect((await call(getSelfRoute, { token })).status).toBe(200);
    expect(bodyOf(await call(disableUserRoute, { as: 'admin', params })).status).toBe('inactive');
    const refused = await call(getSelfRoute, { token });
    expectStatus(refused, 403);
    expect(refused.body.detail).toMatch(/disabled/);
    await call(enableUserRoute, { as: 'admin', params });
    expect((await call(getSelfRoute, { token })).status).toBe(200);
  });

  it('never leaves the company without an active admin', async () => {
    const admin = { id: users.admin!.user_id };
    const demote = await call(updateUserRoute, { as: 'admin', params: admin, body: { role: 'manager' } });
    expectStatus(demote, 409);
    expect(demote.body.detail).toMatch(/last active admin/);
    const second = await newUser({ name: 'Second Admin', email: `admin2-${unique()}@example.com`, role: 'admin' });
    const secondToken = session.cloud.auth.token({ sub: second.id, email: second.email, role: 'admin' });
    expect((await call(disableUserRoute, { token: secondToken, params: admin })).status).toBe(200);
    const last = await call(updateUserRoute, { token: secondToken, params: { id: second.id }, body: { role: 'user' } });
    expect(last.status).toBe(409);
    expect((await call(enableUserRoute, { token: secondToken, params: admin })).status).toBe(200);
  });

  it('refuses to demote a manager who still has direct reports', async () => {
    const res = await call(updateUserRoute, {
      as: 'admin',
      params: { id: users.manager!.user_id },
      body: { role: 'user' },
    });
    expectStatus(res, 409);
    expect(res.body.detail).toMatch(/2 direct report/);
  });

  it('honours If-Match with 412 and the current record', async () => {
    const versioned = await newUser({ name: 'Versioned', email: `v-${unique()}@example.com`, role: 'user' });
    const params = { id: versioned.id };
    const ok = await call(updateUserRoute, { as: 'admin', params, body: { name: 'V2' }, headers: { 'if-match': '"1"' } });
    expectStatus(ok, 200);
    expect(ok.body.version).toBe(2);
    const stale = await call(updateUserRoute, { as: 'admin', params, body: { name: 'V3' }, headers: { 'if-match': '"1"' } });
    expectStatus(stale, 412);
    expect(stale.body.current).toMatchObject({ name: 'V2', version: 2 });
  });

  it('replays a POST with the same Idempotency-Key and refuses the key with another body', async () => {
    const headers = { 'idempotency-key': `key-${unique()}` };
    const body = { name: 'Once', email: `once-${unique()}@example.com`, role: 'user' } as const;
    const first = await call(createUserRoute, { as: 'admin', body, headers });
    const second = await call(createUserRoute, { as: 'admin', body, headers });
    expectStatus(first, 201);
    expectStatus(second, 201);
    expect(second.body.id).toBe(first.body.id);
    const other = await call(createUserRoute, { as: 'admin', body: { ...body, name: 'Twice' }, headers });
    expectStatus(other, 422);
    expect(other.body.errors?.[0]?.field).toBe('headers.idempotency-key');
  });
});

describe('teams', () => {
  it('refuses to delete a team with members unless they move, then moves them', async () => {
    const from = bodyOf(await call(createTeamRoute, { as: 'admin', body: { name: `From ${unique()}` } }), 201);
    const to = bodyOf(await call(createTeamRoute, { as: 'admin', body: { name: `To ${unique()}` } }), 201);
    const member = await newUser({
      name: 'Member',
      email: `member-${unique()}@example.com`,
      role: 'user',
      team_id: from.id,
    });
    expect(bodyOf(await call(getTeamRoute, { as: 'rep1', params: { id: from.id } })).member_count).toBe(1);
    const refused = await call(deleteTeamRoute, { as: 'admin', params: { id: from.id } });
    expect(refused.status).toBe(409);
    const moved = await call(deleteTeamRoute, { as: 'admin', params: { id: from.id }, query: { move_members_to: to.id } });
    expect(moved.status).toBe(204);
    expect(bodyOf(await call(getUserRoute, { as: 'admin', params: { id: member.id } })).team_id).toBe(to.id);
    expect(bodyOf(await call(getTeamRoute, { as: 'admin', params: { id: to.id } })).member_count).toBe(1);
    expect((await call(getTeamRoute, { as: 'admin', params: { id: from.id } })).status).toBe(404);
  });

  it('lists team members through GET /users?team_id=', async () => {
    const list = bodyOf(await call(listUsersRoute, { as: 'rep1', query: { limit: 100 } }));
    const east = list.items.find((u) => u.email === 'manager@example.com')!.team_id;
    const members = bodyOf(await call(listUsersRoute, { as: 'rep1', query: { team_id: east ?? undefined } }));
    expect(members.items.map((u) => u.email).sort()).toEqual(['manager@example.com', 'rep1@example.com', 'rep2@example.com']);
  });
});

describe('account', () => {
  it('starts from the deployment config and lets only admins change it', async () => {
    const before = await call(getAccountRoute, { as: 'rep1' });
    expect(before.body).toMatchObject({ name: 'Acme Corp', currency: 'USD', timezone: 'Etc/UTC', time_format: '24h' });
    expect((await call(updateAccountRoute, { as: 'manager', body: { currency: 'EUR' } })).status).toBe(403);
    const bad = await call(updateAccountRoute, { as: 'admin', body: { currency: 'euro', timezone: 'Mars/Base' } });
    expectStatus(bad, 422);
    expect(bad.body.errors?.map((e) => e.field).sort()).toEqual(['body.currency', 'body.timezone']);
    const changed = await call(updateAccountRoute, { as: 'admin', body: { currency: 'EUR', timezone: 'Europe/Paris' } });
    expect(changed.status).toBe(200);
    expect((await call(getAccountRoute, { as: 'rep2' })).body).toMatchObject({
      currency: 'EUR',
      timezone: 'Europe/Paris',
    });
  });
});
