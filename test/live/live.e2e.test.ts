import { describe, expect, it } from 'vitest';
import type { GateDecision } from '#infra/local/iam/gate.ts';
import { createLeadRoute, updateLeadRoute } from '#shared/leads/routes.ts';
import { newTicket, ticketHash, type LiveMessage } from '#shared/live/domain.ts';
import { DynamoLiveConnections, DynamoLiveTickets } from '#shared/live/dynamodb.ts';
import { createLiveTicketRoute } from '#shared/live/routes.ts';
import { listNotificationsRoute, readNotificationRoute } from '#shared/notifications/routes.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { Table } from '#shared/platform/dynamodb/table.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';
import { openLive, type LiveClient } from '#test/live/live-client.ts';

// Live notifications over the local cloud's WebSocket API: rep1 opens a socket with a ticket
// from the HTTP API (a real `ws` client), a manager gives rep1 a lead, and the socket receives
// the notification with the unread count; reading it pushes the new count. A ticket works
// once, and a missing, unknown or expired one is refused at the upgrade. A function whose
// policy lacks execute-api:ManageConnections is refused by the management API's IAM gate.

const decisions: GateDecision[] = [];
const session = useTestCloud({ onIamDecision: (d) => decisions.push(d) });
const { call, id } = session;

const ticketFor = async (who: string) => bodyOf(await call(createLiveTicketRoute, { as: who }), 200).ticket;
const table = () =>
  new Table({ client: session.table(), name: session.cloud.names.tableName, cursors: new CursorCodec('x'.repeat(16)) });
const isNotificationAbout =
  (leadId: string) =>
  (m: LiveMessage): m is Extract<LiveMessage, { type: 'notification' }> =>
    m.type === 'notification' && m.item.records.some((r) => r.id === leadId);

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function assignNewLead(name: string): Promise<string> {
  const lead = bodyOf(await call(createLeadRoute, { as: 'manager', body: { last_name: name } }), 201);
  bodyOf(await call(updateLeadRoute, { as: 'manager', params: { id: lead.id }, body: { owner_id: id('rep1') } }), 200);
  return lead.id;
}

describe('live notifications on the local cloud', () => {
  it("pushes the lead a manager gave rep1, with the unread count, to rep1's open socket; a read pushes the new count", async () => {
    const before = bodyOf(await call(listNotificationsRoute, { as: 'rep1', query: {} }), 200).unread_count;
    const live = await openLive(session.cloud.webSocketUrl, await ticketFor('rep1'));
    // A gone connection of rep1's (closed without $disconnect): the push drops it.
    const connections = new DynamoLiveConnections(table());
    await connections.add(id('rep1'), 'GoneConnection1=', new Date(Date.now() + 3600_000));
    try {
      live.send({ action: 'ping' });
      await live.next((m) => m.type === 'pong');

      const leadId = await assignNewLead('Live');
      const pushed = await live.next(isNotificationAbout(leadId), 20_000);
      expect(pushed.item).toMatchObject({ kind: 'lead_assigned', actor_id: id('manager'), read_at: null });
      expect(pushed.unread_count).toBe(before + 1);
      // Posted to beside the open one, it answered 410 GoneException and was deleted.
      await until('the gone connection dropped', async () =>
        (await connections.of(id('rep1'), new Date())).includes('GoneConnection1=') ? undefined : true,
      );

      // Read in "another tab": this socket learns the new count.
      bodyOf(await call(readNotificationRoute, { as: 'rep1', params: { id: pushed.item.id } }), 200);
      const count = await live.next((m) => m.type === 'unread_count');
      expect(count).toEqual({ type: 'unread_count', unread_count: before });
    } finally {
      await live.close();
    }
    // $disconnect forgot the connection.
    await until('the connection forgotten', async () =>
      (await connections.of(id('rep1'), new Date())).length === 0 ? true : undefined,
    );
  });

  it('refuses a reused ticket, a missing one, an unknown one and an expired one at the upgrade', async () => {
    const ticket = await ticketFor('rep2');
    const first = await openLive(session.cloud.webSocketUrl, ticket);
    await first.close();
    await expect(openLive(session.cloud.webSocketUrl, ticket)).rejects.toThrow(/401/);
    await expect(openLive(session.cloud.webSocketUrl, undefined)).rejects.toThrow(/401/);
    await expect(openLive(session.cloud.webSocketUrl, newTicket())).rejects.toThrow(/401/);
    const expired = newTicket();
    await new DynamoLiveTickets(table()).issue(ticketHash(expired), id('rep2'), new Date(Date.now() - 1000));
    await expect(openLive(session.cloud.webSocketUrl, expired)).rejects.toThrow(/401/);
    // Not even the stored hash works as a ticket.
    const stored = await ticketFor('rep2');
    await expect(openLive(session.cloud.webSocketUrl, ticketHash(stored))).rejects.toThrow(/401/);
  });

  it('the management API refuses a function without execute-api:ManageConnections (AccessDenied at its gate)', async () => {
    const policies = session.cloud.iam.policies;
    const policy = policies.get('notification-delivery')!;
    const live: LiveClient = await openLive(session.cloud.webSocketUrl, await ticketFor('rep1'));
    policies.set('notification-delivery', {
      ...policy,
      statements: policy.statements.filter((s) => ![s.Action ?? []].flat().includes('execute-api:ManageConnections')),
    });
    try {
      const from = decisions.length;
      const leadId = await assignNewLead('Live refused');
      const denied = await until('the push refused', async () =>
        decisions
          .slice(from)
          .find((d) => d.function === 'notification-delivery' && d.denied?.access.action === 'execute-api:ManageConnections'),
      );
      expect(denied.denied!.access.resource).toMatch(
        /^arn:aws:execute-api:[\w-]+:\d{12}:\w+\/live\/POST\/@connections\/[A-Za-z0-9+/=]+$/,
      );
      // The inbox has it all the same (the push is best effort, after the commit).
      const inbox = bodyOf(await call(listNotificationsRoute, { as: 'rep1', query: {} }), 200);
      expect(inbox.items.some((n) => n.records.some((r) => r.id === leadId))).toBe(true);
      expect(live.messages.filter(isNotificationAbout(leadId))).toEqual([]);
    } finally {
      policies.set('notification-delivery', policy);
      await live.close();
    }
  });
});
