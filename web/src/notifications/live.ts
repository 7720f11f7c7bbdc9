import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, unwrap } from '../api/client.ts';
import type { paths } from '../api/schema.gen.ts';
import { config } from '../config.ts';

// Live notifications: the server pushes over API Gateway's WebSocket API (shared/live/). A
// browser cannot send headers there, so it asks the HTTP API for a single-use ticket first and
// opens `<webSocketUrl>?ticket=`. A push is a hint, the inbox is the truth: each push updates
// the unread count and refetches the inbox; each (re)connection refetches both, since pushes
// made while closed are lost. A closed socket reconnects with capped exponential back-off.

/** An inbox item as the API shows it. */
export type Notification = paths['/notifications']['get']['responses'][200]['content']['application/json']['items'][number];

/** What the server pushes (shared/live/domain.ts LiveMessage). */
type LiveMessage =
  | { type: 'notification'; item: Notification; unread_count: number }
  | { type: 'unread_count'; unread_count: number }
  | { type: 'pong' };

/** The unread count's query key (its value: a number). */
export const UNREAD_KEY = ['notifications', 'unread'] as const;
/** API Gateway closes a connection idle for 10 minutes: ping well within it. */
const PING_MS = 5 * 60_000;
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;

/** The delay before reconnection attempt `attempt` (0-based): doubling, capped, with jitter (ms). */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function applyMessage(queryClient: QueryClient, data: unknown): void {
  let message: LiveMessage;
  try {
    message = JSON.parse(String(data)) as LiveMessage;
  } catch {
    return;
  }
  if (message.type === 'notification' || message.type === 'unread_count') {
    queryClient.setQueryData(UNREAD_KEY, message.unread_count);
    void queryClient.invalidateQueries({ queryKey: ['notifications', 'inbox'] });
  }
}

/**
 * Keeps one live connection open while the signed-in shell is mounted (none when the runtime
 * config names no WebSocket API). Closes it on unmount.
 */
export function useLiveNotifications(): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    const url = config().webSocketUrl;
    if (!url) return;
    let socket: WebSocket | undefined;
    let stopped = false;
    let attempt = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let ping: ReturnType<typeof setInterval> | undefined;

    const reconnect = () => {
      if (stopped) return;
      clearInterval(ping);
      retry = setTimeout(() => void connect(), backoffMs(attempt++));
    };
    const connect = async () => {
      let ticket: string;
      try {
        ticket = unwrap(await api().POST('/notifications/live_ticket')).ticket;
      } catch {
        return reconnect();
      }
      if (stopped) return;
      const ws = new WebSocket(`${url}?ticket=${encodeURIComponent(ticket)}`);
      socket = ws;
      ws.onopen = () => {
        attempt = 0;
        void queryClient.invalidateQueries({ queryKey: ['notifications'] });
        ping = setInterval(() => ws.send(JSON.stringify({ action: 'ping' })), PING_MS);
      };
      ws.onmessage = (event) => applyMessage(queryClient, event.data);
      ws.onclose = () => {
        if (socket === ws) reconnect();
      };
    };
    void connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      clearInterval(ping);
      socket?.close();
    };
  }, [queryClient]);
}
