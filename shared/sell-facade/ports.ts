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

/** A tag of Sell's tags resource: one name per resource type (lead, contact or deal). */
export interface SellTag {
  /** The registry's record id (the Sell id is its number, type "tag"). */
  readonly id: string;
  readonly name: string;
  readonly resource_type: 'lead' | 'contact' | 'deal';
  /** The user id of who registered it. */
  readonly creator_id: string;
  readonly created_at: string;
  readonly updated_at: string;
}

/**
 * The facade's tag registry: records here carry tags as names, and Sell's tags resource lists
 * them with ids. Names are one per resource type, ignoring case (shared/kernel/tags.ts tagKey).
 */
export interface TagRegistry {
  /** Every tag, oldest first. */
  list(): Promise<SellTag[]>;
  get(id: string): Promise<SellTag | undefined>;
  /** The tag of that type and name (ignoring case), if registered. */
  find(resourceType: SellTag['resource_type'], name: string): Promise<SellTag | undefined>;
  /** Whether a tag of that type has the name (ignoring case): one read, of the name's claim alone. */
  claimed(resourceType: SellTag['resource_type'], name: string): Promise<boolean>;
  /** Registers `tag`; answers false (and writes nothing) when its name is already taken for its type. */
  create(tag: SellTag): Promise<boolean>;
  /** Renames `before` to `after.name`; false when the new name is taken. */
  rename(before: SellTag, after: SellTag): Promise<boolean>;
  remove(tag: SellTag): Promise<void>;
}
