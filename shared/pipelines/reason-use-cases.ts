import { ConflictError, NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { nameKey } from './domain.ts';
import { NAMED_LIST_LABELS, type NamedEntry, type NamedListKind } from './reasons.ts';
import type { NamedListRepository } from './ports.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';

// Loss reasons, deal and lead unqualified reasons, and sources (F4.2): four lists of named
// entries, read by everyone, kept by admins. Names are unique per list whatever their case;
// the write itself enforces it (a uniqueness item in the same transaction).

export interface NamedListsDeps {
  namedLists: NamedListRepository;
}

/** An entry by id, a deleted one too (deleted_at set): records that named it keep its id. */
export async function getEntry(deps: NamedListsDeps, kind: NamedListKind, id: string): Promise<NamedEntry> {
  const entry = await deps.namedLists.get(kind, id);
  if (!entry) throw new NotFoundError(NAMED_LIST_LABELS[kind], id);
  return entry;
}

/** An entry that may still change: a deleted one is not found. */
async function liveEntry(deps: NamedListsDeps, kind: NamedListKind, id: string): Promise<NamedEntry> {
  const entry = await getEntry(deps, kind, id);
  if (entry.deleted_at !== undefined) throw new NotFoundError(NAMED_LIST_LABELS[kind], id);
  return entry;
}

export function listEntries(deps: NamedListsDeps, kind: NamedListKind, query: PageQuery): Promise<Page<NamedEntry>> {
  return deps.namedLists.list(kind, query);
}

export async function createEntry(
  deps: NamedListsDeps,
  call: Call,
  kind: NamedListKind,
  input: { name: string },
): Promise<NamedEntry> {
  const [entry] = await addEntries(deps, call, kind, [input.name]);
  return entry!;
}

/** Adds several entries in one write (all or none); names must differ from each other. */
export async function addEntries(
  deps: NamedListsDeps,
  call: Call,
  kind: NamedListKind,
  names: readonly string[],
): Promise<NamedEntry[]> {
  const keys = names.map(nameKey);
  const duplicate = names.find((_, i) => keys.indexOf(keys[i]!) !== i);
  if (duplicate !== undefined)
    throw new ConflictError(`The ${NAMED_LIST_LABELS[kind]} "${duplicate}" is given twice`, { code: 'named_list.name_repeated' });
  const now = call.events.now.toISOString();
  const entries: NamedEntry[] = names.map((name) => ({
    id: call.events.newId(),
    name,
    created_at: now,
    updated_at: now,
    version: 1,
  }));
  await deps.namedLists.create(
    kind,
    entries,
    entries.map((entry) => entryEvent(call, kind, 'created', entry)),
  );
  return entries;
}

export async function renameEntry(
  deps: NamedListsDeps,
  call: Call,
  kind: NamedListKind,
  id: string,
  input: { name: string },
  ifMatch?: number,
): Promise<NamedEntry> {
  const before = await liveEntry(deps, kind, id);
  checkVersion(kind, before, ifMatch);
  if (before.name === input.name) return before;
  const after: NamedEntry = {
    ...before,
    name: input.name,
    updated_at: call.events.now.toISOString(),
    version: before.version + 1,
  };
  await deps.namedLists.update(kind, before, after, [entryEvent(call, kind, 'updated', after, { name: before.name })]);
  return after;
}

/**
 * Deals and leads that name a deleted entry keep its id (as in Sell): their history stays
 * readable, and the entry no longer appears in the list to pick from.
 */
export async function deleteEntry(
  deps: NamedListsDeps,
  call: Call,
  kind: NamedListKind,
  id: string,
  ifMatch?: number,
): Promise<void> {
  const entry = await liveEntry(deps, kind, id);
  checkVersion(kind, entry, ifMatch);
  await deps.namedLists.delete(kind, entry, [entryEvent(call, kind, 'deleted', entry)]);
}

function checkVersion(kind: NamedListKind, entry: NamedEntry, ifMatch: number | undefined): void {
  if (ifMatch !== undefined && ifMatch !== entry.version)
    throw new VersionMismatchError(NAMED_LIST_LABELS[kind], entry.id, entry);
}

function entryEvent(
  call: Call,
  kind: NamedListKind,
  change: 'created' | 'updated' | 'deleted',
  entry: NamedEntry,
  previous?: Partial<NamedEntry>,
): DomainEvent {
  return domainEvent(
    call.events,
    `${kind}.${change}`,
    { resource_type: kind, resource_id: entry.id },
    entry,
    previous ? { previous } : {},
  );
}
