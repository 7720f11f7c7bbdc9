import { describe, expect, it } from 'vitest';
import { createAccessTokenRoute, listAccessTokensRoute, revokeAccessTokenRoute } from '#shared/access-tokens/routes.ts';
import { listAutomationsRoute } from '#shared/automations/routes.ts';
import { getSelfRoute } from '#shared/identity/routes.ts';
import { createLeadRoute, listLeadsRoute } from '#shared/leads/routes.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// Personal access tokens through the local cloud: created from a session, accepted as a bearer
// token by the API's Lambda authorizer (run in its worker, as in AWS), acting as their owner.

const session = useTestCloud();
const { call } = session;

const newToken = async (who: string, name = 'zapier') =>
  bodyOf(await call(createAccessTokenRoute, { as: who, body: { name } }), 201);

describe('personal access tokens', () => {
  it('shows the secret once, 64 hex characters, and lists only its prefix', async () => {
    const created = await newToken('rep1');
    expect(created.token).toMatch(/^[0-9a-f]{64}$/);
    expect(created.prefix).toBe(created.token.slice(0, 6));
    const listed = bodyOf(await call(listAccessTokensRoute, { as: 'rep1' }));
    const mine = listed.items.find((t) => t.id === created.id);
    expect(mine).toMatchObject({ name: 'zapier', prefix: created.prefix, last_used_at: null });
    expect(JSON.stringify(listed)).not.toContain(created.token);
    // Never another user's tokens, whatever the role.
    const admin = bodyOf(await call(listAccessTokensRoute, { as: 'admin' }));
    expect(admin.items.map((t) => t.id)).not.toContain(created.id);
  });

  it('stores only the SHA-256 of the secret', async () => {
    const created = await newToken('rep1');
    const { createHash } = await import('node:crypto');
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
    const item = (
      await session.table().send(
        new GetCommand({
          TableName: session.cloud.names.tableName,
          Key: { pk: `access_token#${created.id}`, sk: 'access_token' },
        }),
      )
    ).Item!;
    expect(item.hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect(JSON.stringify(item)).not.toContain(created.token);
  });

  it('acts as its owner: the same self and the same visible leads as a session, and records its use', async () => {
    await call(createLeadRoute, { as: 'rep2', body: { last_name: `Hidden${Date.now()}` } });
    await call(createLeadRoute, { as: 'rep1', body: { last_name: `Mine${Date.now()}` } });
    const created = await newToken('rep1');
    const self = bodyOf(await call(getSelfRoute, { token: created.token }));
    expect(self.id).toBe(session.id('rep1'));
    const viaToken = bodyOf(await call(listLeadsRoute, { token: created.token, query: { limit: 100 } }));
    const viaSession = bodyOf(await call(listLeadsRoute, { as: 'rep1', query: { limit: 100 } }));
    expect(viaToken.items.map((l) => l.id)).toEqual(viaSession.items.map((l) => l.id));
    expect(viaToken.items.every((l) => l.owner_id === session.id('rep1'))).toBe(true);
    const listed = bodyOf(await call(listAccessTokensRoute, { as: 'rep1' }));
    expect(listed.items.find((t) => t.id === created.id)?.last_used_at).not.toBeNull();
  });

  it('is refused at once once revoked (locally the authorizer runs uncached)', async () => {
    const created = await newToken('rep1');
    expectStatus(await call(getSelfRoute, { token: created.token }), 200);
    expectStatus(await call(revokeAccessTokenRoute, { as: 'rep1', params: { id: created.id } }), 204);
    // 401 with the API's problem (not API Gateway's bare 403): the client knows to sign in again.
    const after = await session.api('GET', '/users/self', { token: created.token });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ code: 'unauthenticated' });
    const unknown = await session.api('GET', '/users/self', { token: 'a'.repeat(64) });
    expect(unknown.status).toBe(401);
  });

  it("cannot revoke another user's token (404), nor mint or revoke tokens itself (403)", async () => {
    const created = await newToken('rep1');
    expectStatus(await call(revokeAccessTokenRoute, { as: 'rep2', params: { id: created.id } }), 404);
    const minted = await call(createAccessTokenRoute, { token: created.token, body: { name: 'more' } });
    expectStatus(minted, 403);
    expect(minted.body.code).toBe('access_token.session_required');
    const revoked = await call(revokeAccessTokenRoute, { token: created.token, params: { id: created.id } });
    expectStatus(revoked, 403);
  });

  it("an admin's token does not reach admin-only routes (MFA-gated), but a session does", async () => {
    const created = await newToken('admin');
    expectStatus(await call(listAutomationsRoute, { as: 'admin' }), 200);
    const res = await call(listAutomationsRoute, { token: created.token });
    expectStatus(res, 403);
    expect(res.body.code).toBe('access_token.admin_route');
  });
});
