import type { Call } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { SellImportCheckpoint, SellImportJob, SellImportMessage } from './domain.ts';

/** A record as Sell's API answers it (an item's `data`). */
export type SellRecord = Record<string, unknown> & { id?: number };

/** One page of a Sell collection: its records and the next page's URL (null: the last page). */
export interface SellPage {
  readonly items: SellRecord[];
  readonly next: string | null;
}

/**
 * Sell's Core API v2 with the customer's token: pages by URL (a path under the base, or a
 * next_page link), within the rate limit, retried on 429 (Retry-After) and 5xx. Errors that
 * retries do not cure throw SellApiError.
 */
export interface SellSource {
  page(pathOrUrl: string): Promise<SellPage>;
  /** Requests made so far (each retry counts). */
  readonly requests: number;
}

/** A refusal by Sell's API that retrying does not cure (its status and first error message). */
export class SellApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'SellApiError';
    this.status = status;
  }
}

/** The kinds here that keep a Sell id (shared/platform/dynamodb/sell-ids.ts). */
export type SellIdKind =
  | 'user'
  | 'pipeline'
  | 'stage'
  | 'lead'
  | 'contact'
  | 'deal'
  | 'note'
  | 'task'
  | 'loss_reason'
  | 'deal_unqualified_reason'
  | 'lead_unqualified_reason'
  | 'source'
  | 'custom_field'
  | 'call_outcome'
  | 'call'
  | 'text_message'
  | 'lead_conversion';

/** Sell ids on the table: lookups, aliases and the sequences. */
export interface SellIdMap {
  /** The record here numbered `n`, if any (one read). */
  idOf(kind: SellIdKind, n: number): Promise<string | undefined>;
  /**
   * Makes `n` name the existing record `id` as well (a Sell user matched by e-mail, a source
   * Sell lists twice): false when `n` names another record already. `shown`: /v2 shows the
   * record as `n` from now on (a matched user keeps their Sell id, so the owner_id of imported
   * records is Sell's); its number from before still finds it.
   */
  alias(kind: SellIdKind, n: number, id: string, options?: { shown?: boolean }): Promise<boolean>;
  /** Moves the kind's sequence to at least `n`, so new records never take an imported number. */
  advance(kind: SellIdKind, n: number): Promise<void>;
  /**
   * Numbers the record `id` `n` both ways (n → id, id → n) for a kind whose records are not
   * created by the import (a lead conversion: n names the converted lead); false when `n` is taken.
   */
  number(kind: SellIdKind, n: number, id: string): Promise<boolean>;
}

/**
 * Numbers created records take: by kind, or for stages by "stage:active:<name>" and
 * "stage:<won|lost|unqualified>" (a pipeline creates all its stages in one write).
 */
export type SellNumbers = Readonly<Record<string, number>>;

/** What an import writes, each through its family's own use case (rules and events apply). */
export type ImportWrite =
  | { kind: 'pipeline'; input: { name: string; stages: { name: string; likelihood: number }[] } }
  | { kind: 'named_list'; list: string; input: { name: string } }
  | { kind: 'custom_field'; resource: string; input: Record<string, unknown> }
  | { kind: 'contact' | 'lead' | 'deal' | 'note' | 'task'; input: Record<string, unknown> }
  /** Logged as made by `user_id` (Sell's user here, else the importing admin), written by the admin. */
  | { kind: 'call' | 'text_message'; input: Record<string, unknown>; user_id: string };

/** The families' use cases, as the importer calls them. */
export interface SellImportTargets {
  /** The active user here with this e-mail (lower case). */
  userIdByEmail(email: string): Promise<string | undefined>;
  /** The importing user as a principal (their role and reports). */
  principalOf(userId: string): Promise<Principal>;
  /** Creates through the family's use case with these numbers; answers the new record's id. */
  create(call: Call, write: ImportWrite, numbers: SellNumbers): Promise<string>;
  /** Custom field types of a resource here, by field name. */
  customFieldTypes(resource: string): Promise<Map<string, string>>;
  /** An entry of a named list by name (case ignored), for Sell lists that name one entry twice. */
  namedEntryId(list: string, name: string): Promise<string | undefined>;
  /** The contacts associated with a deal here (their ids). */
  associatedContactIds(call: Call, dealId: string): Promise<string[]>;
  /**
   * Marks the lead converted into the existing contact (and organisation and deal) through the
   * lead conversion's use case (a lead.converted event); the same conversion again writes nothing.
   */
  convertLead(
    call: Call,
    leadId: string,
    into: { contact_id: string; organization_id: string | null; deal_id: string | null },
  ): Promise<void>;
  /** Associates a contact with a deal through the deals' use case. */
  associate(call: Call, dealId: string, contactId: string, role: string | null): Promise<void>;
}

/** The imports' checkpoints (one item per import, written after every page). */
export interface SellImportStore {
  get(id: string): Promise<SellImportCheckpoint | undefined>;
  save(checkpoint: SellImportCheckpoint): Promise<void>;
}

/** The store's answer when a job's lease was lost or the job ended meanwhile (cancelled): the slice stops. */
export class SellImportLeaseLost extends Error {
  constructor(id: string) {
    super(`the Sell import ${id} is no longer this slice's (lease lost, or the job ended)`);
    this.name = 'SellImportLeaseLost';
  }
}

/**
 * Sell import jobs (the checkpoint's item, plus the job's fields). Every write after create is
 * conditional: on the job still queued or running and, for a slice's, on its lease.
 */
export interface SellImportJobs {
  create(job: SellImportJob, events: DomainEvent[]): Promise<void>;
  get(id: string): Promise<SellImportJob | undefined>;
  /** The newest `limit` jobs, newest first (one Query; `npm run import:sell`'s checkpoints are no jobs). */
  list(limit: number): Promise<SellImportJob[]>;
  /**
   * Takes the lease for `holder` until `until` (epoch ms) when the job is queued or running and
   * no other holder's lease runs past `now`; marks it running. False otherwise (a duplicate message).
   */
  acquire(id: string, holder: string, now: number, until: number): Promise<boolean>;
  /** The engine's checkpoint store for the lease's holder: a save throws SellImportLeaseLost when the lease is gone. */
  checkpoints(id: string, holder: string): SellImportStore;
  /** Drops the lease (the slice is over; the next message takes it). */
  release(id: string, holder: string): Promise<void>;
  /** Ends the job (finished, failed or cancelled) with its events and removes the sealed token; false when it had ended already. */
  end(
    id: string,
    status: 'finished' | 'failed' | 'cancelled',
    fields: { at: string; failure_reason: string | null; holder?: string },
    events: DomainEvent[],
  ): Promise<boolean>;
}

/** The Sell import queue (SQS): one message per slice. */
export interface SellImportQueue {
  send(message: SellImportMessage): Promise<void>;
}
