import { describe, expect, it } from 'vitest';
import {
  isPing,
  isTicketShaped,
  newTicket,
  ticketHash,
  TICKET_BYTES,
  TICKET_TTL_SECONDS,
  type LiveMessage,
} from '#shared/live/domain.ts';
import type { ConnectionPusher, LiveConnections, LiveTickets } from '#shared/live/ports.ts';
import { issueLiveTicket, liveUpdates, openLiveConnection, redeemLiveTicket } from '#shared/live/use-cases.ts';
import type { Notification } from '#shared/notifications/domain.ts';
import { callsAs, FixedClock, USERS } from '#test/helpers/fakes.ts';

// Tickets: random, stored hashed, single use, short-lived; pushes: to every connection of the
// user, dropping gone ones, never throwing.

/** Tickets in memory, with the DynamoDB adapter's semantics (a conditional delete). */
class MemoryTickets implements LiveTickets {
  readonly items = new Map<string, { userId: string; expiresAt: Date }>();
  lookups = 0;
  async issue(hash: string, userId: string, expiresAt: Date): Promise<void> {
    if (this.items.has(hash)) throw new Error('clash');
    this.items.set(hash, { userId, expiresAt });
  }
  async consume(hash: string, now: Date): Promise<string | undefined> {
    this.lookups++;
    const item = this.items.get(hash);
    if (!item || item.expiresAt <= now) return undefined;
    this.items.delete(hash);
    return item.userId;
  }
}

class MemoryConnections implements LiveConnections {
  readonly items = new Map<string, { userId: string; expiresAt: Date }>();
  async add(userId: string, connectionId: string, expiresAt: Date): Promise<void> {
    this.items.set(connectionId, { userId, expiresAt });
  }
  async remove(_: string, connectionId: string): Promise<void> {
    this.items.delete(connectionId);
  }
  async of(userId: string, now: Date): Promise<string[]> {
    return [...this.items].filter(([, c]) => c.userId === userId && c.expiresAt > now).map(([id]) => id);
  }
}

describe('live tickets', () => {
  it('are 256 random bits in base64url, never the same twice, and stored only as their SHA-256', async () => {
    const tickets = Array.from({ length: 50 }, newTicket);
    expect(new Set(tickets).size).toBe(50);
    for (const t of tickets) {
      expect(isTicketShaped(t)).toBe(true);
      expect(Buffer.from(t, 'base64url')).toHaveLength(TICKET_BYTES);
    }
    expect(TICKET_BYTES * 8).toBeGreaterThanOrEqual(128);
    expect(ticketHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');

    const store = new MemoryTickets();
    const clock = new FixedClock('2031-01-01T00:00:00.000Z');
    const issued = await issueLiveTicket({ tickets: store, clock }, callsAs(clock).rep());
    expect(issued.expires_at).toBe(new Date(clock.now().getTime() + TICKET_TTL_SECONDS * 1000).toISOString());
    expect([...store.items.keys()]).toEqual([ticketHash(issued.ticket)]);
    expect(JSON.stringify([...store.items])).not.toContain(issued.ticket);
  });

  it('work once: the first redemption gets the user, a second use is refused', async () => {
    const store = new MemoryTickets();
    const clock = new FixedClock();
    const { ticket } = await issueLiveTicket({ tickets: store, clock }, callsAs(clock).rep());
    expect(await redeemLiveTicket({ tickets: store, clock }, ticket)).toBe(USERS.rep.id);
    expect(await redeemLiveTicket({ tickets: store, clock }, ticket)).toBeUndefined();
  });

  it(`expire ${TICKET_TTL_SECONDS} s after issue`, async () => {
    const store = new MemoryTickets();
    const clock = new FixedClock();
    const deps = { tickets: store, clock };
    const late = await issueLiveTicket(deps, callsAs(clock).rep());
    const inTime = await issueLiveTicket(deps, callsAs(clock).rep());
    clock.advance(TICKET_TTL_SECONDS * 1000 - 1);
    expect(await redeemLiveTicket(deps, inTime.ticket)).toBe(USERS.rep.id);
    clock.advance(1);
    expect(await redeemLiveTicket(deps, late.ticket)).toBeUndefined();
  });

  it('refuses what is no ticket (missing, the hash, too short, other characters) without a lookup', async () => {
    const store = new MemoryTickets();
    const clock = new FixedClock();
    const { ticket } = await issueLiveTicket({ tickets: store, clock }, callsAs(clock).rep());
    for (const bad of [undefined, null, '', 42, ticketHash(ticket), ticket.slice(1), `${ticket.slice(1)}!`, [ticket]]) {
      expect(await redeemLiveTicket({ tickets: store, clock }, bad)).toBeUndefined();
    }
    expect(store.lookups).toBe(0);
  });
});

describe('live pushes', () => {
  const item = { id: '1700000000000.lead_assigned.U1', kind: 'lead_assigned' } as Notification;
  const setup = (answers: Record<string, 'sent' | 'gone' | Error>) => {
    const connections = new MemoryConnections();
    const posted: { connectionId: string; message: LiveMessage }[] = [];
    const errors: unknown[] = [];
    const pusher: ConnectionPusher = {
      post: async (connectionId, message) => {
        const answer = answers[connectionId] ?? 'sent';
        if (answer instanceof Error) throw answer;
        posted.push({ connectionId, message });
        return answer;
      },
    };
    const clock = new FixedClock();
    const updates = liveUpdates({
      connections,
      pusher,
      inbox: { get: async (_, id) => (id === item.id ? item : undefined), unreadCount: async () => 3 },
      clock,
      onError: (error) => errors.push(error),
    });
    return { connections, posted, errors, updates, clock };
  };

  it('sends the item and the unread count to every open connection of the user, and forgets the gone ones', async () => {
    const { connections, posted, errors, updates, clock } = setup({ gone: 'gone' });
    for (const c of ['a', 'gone']) await openLiveConnection({ connections, clock }, 'U1', c);
    await openLiveConnection({ connections, clock }, 'U2', 'other');
    await updates.notificationWritten('U1', item.id);
    expect(posted.map((p) => p.connectionId).sort()).toEqual(['a', 'gone']);
    expect(posted[0]!.message).toEqual({ type: 'notification', item, unread_count: 3 });
    expect([...connections.items.keys()].sort()).toEqual(['a', 'other']);
    expect(errors).toEqual([]);
  });

  it('never throws: a failing connection is reported and the others still get the message', async () => {
    const { connections, posted, errors, updates, clock } = setup({ broken: new Error('throttled') });
    for (const c of ['broken', 'b']) await openLiveConnection({ connections, clock }, 'U1', c);
    await expect(updates.unreadCountChanged('U1', 0)).resolves.toBeUndefined();
    expect(posted).toEqual([{ connectionId: 'b', message: { type: 'unread_count', unread_count: 0 } }]);
    expect(errors).toEqual([new Error('throttled')]);
    expect([...connections.items.keys()]).toContain('broken');
  });

  it('pushes nothing to a user without connections, or to expired ones (API Gateway closed them after 2 h)', async () => {
    const { connections, posted, updates, clock } = setup({});
    await openLiveConnection({ connections, clock }, 'U1', 'old');
    clock.advance(2 * 3600_000);
    await updates.notificationWritten('U1', item.id);
    await updates.notificationWritten('U9', item.id);
    expect(posted).toEqual([]);
  });
});

describe('the heartbeat', () => {
  it('is {"action":"ping"} and nothing else', () => {
    expect(isPing('{"action":"ping"}')).toBe(true);
    for (const other of [undefined, '', 'ping', '{"action":"pong"}', 'null', '[]', '{']) expect(isPing(other)).toBe(false);
  });
});
