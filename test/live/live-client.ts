import { WebSocket } from 'ws';
import type { LiveMessage } from '#shared/live/domain.ts';

// A browser's side of live notifications, with a real `ws` client: open with a ticket, keep
// every message, wait for one that matches.

export interface LiveClient {
  readonly socket: WebSocket;
  readonly messages: LiveMessage[];
  /** The first message (already received or to come) that matches, within `ms`. */
  next<T extends LiveMessage>(match: (m: LiveMessage) => m is T, ms?: number): Promise<T>;
  next(match: (m: LiveMessage) => boolean, ms?: number): Promise<LiveMessage>;
  send(data: unknown): void;
  close(): Promise<void>;
}

/** Opens `url?ticket=...`; rejects with the HTTP status of a refused upgrade ("Unexpected server response: 401"). */
export function openLive(url: string, ticket: string | undefined): Promise<LiveClient> {
  const socket = new WebSocket(ticket === undefined ? url : `${url}?ticket=${encodeURIComponent(ticket)}`);
  const messages: LiveMessage[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as LiveMessage);
    for (const wake of waiters) wake();
  });
  const client: LiveClient = {
    socket,
    messages,
    next(match: (m: LiveMessage) => boolean, ms = 10_000) {
      return new Promise<LiveMessage>((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching message within ${ms} ms; got ${JSON.stringify(messages)}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    send: (data) => socket.send(JSON.stringify(data)),
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  } as LiveClient;
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('error', reject);
  });
}
