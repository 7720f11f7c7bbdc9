import { describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createBulkOperationRoute, getBulkOperationRoute } from '#shared/bulk-operations/routes.ts';
import { createLeadRoute, getLeadRoute } from '#shared/leads/routes.ts';
import { listNotificationsRoute } from '#shared/notifications/routes.ts';
import { notificationPartition } from '#shared/notifications/dynamodb.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// Bulk operations over the local cloud end to end: the HTTP function queues the plan on the
// bulk queue (behind its IAM gate), the bulk-worker pages the filter through the leads list use
// case and acts on each lead with the requester's rights; the records' events reach the
// notifications consumer, which gives the new owner one grouped item and one e-mail.

const session = useTestCloud();
const { call } = session;

async function finished(who: string, id: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = bodyOf(await call(getBulkOperationRoute, { as: who, params: { id } }), 200);
    if (view.operation.status === 'finished') return view;
    if (Date.now() > deadline) throw new Error(`bulk operation ${id} not finished: ${JSON.stringify(view.operation)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const lead = async (as: string, owner: string, name: string) =>
  bodyOf(await call(createLeadRoute, { as, body: { last_name: name, owner_id: session.id(owner) } }), 201);

describe('bulk operations', () => {
  it("hands all of a departing rep's leads to rep2 by filter; rep2 gets one grouped notification and one e-mail", async () => {
    const leads = [];
    for (let i = 0; i < 12; i++) leads.push(await lead('admin', 'solo', `Departing ${i}`));
    const op = bodyOf(
      await call(createBulkOperationRoute, {
        as: 'admin',
        body: { resource: 'leads', action: 'reassign', owner_id: session.id('rep2'), filter: { owner_id: session.id('solo') } },
      }),
      202,
    );
    const view = await finished('admin', op.id);
    expect(view.operation).toMatchObject({ total: 12, ok: 12, forbidden: 0, not_found: 0, failed: 0 });
    for (const l of leads) {
      expect(bodyOf(await call(getLeadRoute, { as: 'rep2', params: { id: l.id } }), 200).owner_id).toBe(session.id('rep2'));
    }

    // One grouped item (count 12), and once the operation's end is delivered, one e-mail.
    const deadline = Date.now() + 60_000;
    let items: { kind: string; count: number; actor_id: string }[];
    let emails: Record<string, unknown>[];
    for (;;) {
      const inbox = bodyOf(await call(listNotificationsRoute, { as: 'rep2', query: { limit: '100' } }), 200);
      items = inbox.items.filter((n) => n.kind === 'lead_assigned');
      const out = await session.table().send(
        new QueryCommand({
          TableName: session.cloud.names.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :email)',
          ExpressionAttributeValues: { ':pk': notificationPartition(session.id('rep2')), ':email': 'email#' },
        }),
      );
      emails = out.Items ?? [];
      if ((items[0]?.count === 12 && emails.length > 0) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ count: 12, actor_id: session.id('admin') });
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ count: 12, notification_kind: 'lead_assigned' });
  }, 300_000);

  it("reports a colleague's lead as forbidden in a rep's bulk delete, and deletes the rep's own", async () => {
    const own = await lead('rep1', 'rep1', 'Own');
    const colleague = await lead('rep2', 'rep2', 'Colleague');
    const op = bodyOf(
      await call(createBulkOperationRoute, {
        as: 'rep1',
        body: { resource: 'leads', action: 'delete', ids: [own.id, colleague.id] },
      }),
      202,
    );
    const view = await finished('rep1', op.id);
    expect(view.results).toEqual(
      expect.arrayContaining([
        { id: own.id, outcome: 'ok', code: null },
        { id: colleague.id, outcome: 'forbidden', code: 'forbidden' },
      ]),
    );
    expect((await call(getLeadRoute, { as: 'rep1', params: { id: own.id } })).status).toBe(404);
    expect((await call(getLeadRoute, { as: 'rep2', params: { id: colleague.id } })).status).toBe(200);
  }, 300_000);
});
