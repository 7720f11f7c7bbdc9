import type { SellType } from './domain.ts';

/** A JSON object as the native API answers it. */
export type Json = Record<string, unknown>;

/** A native answer's body: a record, a page ({items, next_cursor}) or a problem. */
export type NativeBody = Json & { items?: Json[]; next_cursor?: string | null };

/** A native route's answer: its status and its JSON body (a problem on errors). */
export interface NativeAnswer {
  readonly status: number;
  readonly body: NativeBody;
}

/**
 * The native API, called in-process with the caller's own credentials: every rule, visibility
 * check and event of the native route applies. `key` is a route key ("GET /leads/{id}").
 */
export interface NativeApi {
  call(
    key: string,
    input: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown },
  ): Promise<NativeAnswer>;
}

/** Sell ids of records: numbers by record id (one BatchGetItem a page) and ids by number (one GetItem). */
export interface SellIdLookup {
  numbersOf(type: SellType, ids: readonly string[]): Promise<Map<string, number>>;
  idOf(type: SellType, n: number): Promise<string | undefined>;
}
