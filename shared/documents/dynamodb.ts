import type { DocumentRepository } from './ports.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { VersionMismatchError } from '#shared/kernel/errors.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import { moveDocument, type Document } from './domain.ts';
import { recordPartitions } from '#shared/platform/dynamodb/keys.ts';
import { indexKeys, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { recordOwnerCheck } from '#shared/platform/dynamodb/record-owners.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import { fromItem, type Item, type ItemKeys, type WriteOp } from '#shared/platform/dynamodb/table.ts';
import {
  recordPage,
  versionedDelete,
  versionedReplace,
  VersionedRepository,
  type VersionedKind,
} from '#shared/platform/dynamodb/versioned.ts';

// Documents on the single table, one item each ("document#<id>" / "document"), listed per
// record through the relation index ("<type>#<id>#document"), by id: a ULID, so newest first
// is reverse key order.

/** Documents a conversion moves: more than any real lead has. */
const MOVE_MAX = 1000;

export const documentKey = tableKeys<[id: string]>('document', 'document');
const DOCUMENT: VersionedKind<Document> = { name: 'document', key: documentKey };

/** The partitions document lists read. */
export const documentIndex = {
  /** A record's documents: "<type>#<id>#document". */
  byRecord: recordPartitions(INDEX.relation, '#document'),
};

function documentItem(document: Document): Item & ItemKeys {
  return {
    ...documentKey(document.id),
    ...indexKeys(document.id, documentIndex.byRecord(document)),
    kind: 'document',
    ...document,
  };
}

/**
 * Lead conversion: the writes that re-point a document to another record, conditional on the
 * document's version.
 */
export function documentMoveOps(document: Document, to: RecordRef, at: string): WriteOp[] {
  return [versionedReplace(DOCUMENT, document, documentItem(moveDocument(document, to, at)))];
}

export class DynamoDocumentRepository extends VersionedRepository<Document> implements DocumentRepository {
  protected readonly kind = DOCUMENT;

  async create(document: Document, recordOwnerId: string, events: DomainEvent[]): Promise<void> {
    await this.table.write([{ type: 'create', item: documentItem(document) }, recordOwnerCheck(document, recordOwnerId)], events);
  }

  async update(before: Document, after: Document, events: DomainEvent[]): Promise<void> {
    await this.table.write([versionedReplace(DOCUMENT, before, documentItem(after))], events);
  }

  async delete(document: Document, events: DomainEvent[]): Promise<void> {
    await this.table.write([versionedDelete(DOCUMENT, document)], events);
  }

  ofRecord(ref: RecordRef, page: PageQuery): Promise<Page<Document>> {
    return recordPage(this.table, documentIndex.byRecord(ref), page, fromItem<Document>, { order: 'desc' });
  }

  /**
   * Lead conversion: re-points the record's documents (up to MOVE_MAX), one conditional write
   * each; a document changed meanwhile (checked, deleted) is read again once.
   */
  async moveAll(from: RecordRef, to: RecordRef, at: string): Promise<void> {
    const { items } = await this.documentsOf(from, MOVE_MAX);
    for (const document of items) {
      try {
        await this.table.write(documentMoveOps(document, to, at));
      } catch (error) {
        if (!(error instanceof VersionMismatchError)) throw error;
        const current = await this.get(document.id);
        if (current && current.resource_id === from.resource_id) await this.table.write(documentMoveOps(current, to, at));
      }
    }
  }

  async documentsOf(ref: RecordRef, limit: number): Promise<{ items: Document[]; truncated: boolean }> {
    const result = await this.table.collect({ partitions: [documentIndex.byRecord(ref)], order: 'asc' }, limit);
    return { items: result.items.map((i) => fromItem<Document>(i)), truncated: result.truncated };
  }
}
