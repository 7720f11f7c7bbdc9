import { ForbiddenError, NotFoundError } from '#shared/kernel/errors.ts';
import { domainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Call, Clock, Page, PageQuery } from '#shared/kernel/ports.ts';
import { visibleRecordOwner, type RecordOwners } from '#shared/kernel/record-owners.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import { canSee } from '#shared/kernel/visibility.ts';
import {
  canDeleteDocument,
  checkUpload,
  documentIdOfUpload,
  documentKeys,
  DOWNLOAD_URL_SECONDS,
  settleDocument,
  SNIFF_BYTES,
  UPLOAD_URL_SECONDS,
  type CreateDocumentInput,
  type Document,
  type PresignedUrl,
} from './domain.ts';
import type { DocumentRepository, FileStore } from './ports.ts';

// Documents (F3.4). Bytes never pass through the API: POST /documents answers a presigned PUT
// for the browser, GET /documents/{id} a presigned GET minted after the visibility check. The
// upload check runs on S3's Object Created event: it measures and sniffs what really arrived,
// since a presigned URL's limits are the service's to enforce and local emulators do not.

export interface DocumentsDeps {
  documents: DocumentRepository;
  records: RecordOwners;
  files: FileStore;
  clock: Clock;
}

const documentResource = (document: Document) => ({ resource_type: 'document', resource_id: document.id });

async function visibleDocument(deps: DocumentsDeps, call: Call, id: string): Promise<Document> {
  const document = await deps.documents.get(id);
  if (!document) throw new NotFoundError('document', id);
  const owner = await deps.records.ownerOf(document.resource_type, document.resource_id);
  if (owner === undefined || !canSee(call.principal, owner)) throw new NotFoundError('document', id);
  return document;
}

const expiresAt = (deps: DocumentsDeps, seconds: number) => new Date(deps.clock.now().getTime() + seconds * 1000).toISOString();

/** POST /documents: a pending document on a record the caller sees, and its upload URL. */
export async function createDocument(
  deps: DocumentsDeps,
  call: Call,
  input: CreateDocumentInput,
): Promise<{ document: Document; upload: PresignedUrl }> {
  const ref: RecordRef = { resource_type: input.resource_type, resource_id: input.resource_id };
  const recordOwner = await visibleRecordOwner(deps.records, call.principal, ref);
  const now = call.events.now.toISOString();
  const document: Document = {
    id: call.events.newId(),
    ...ref,
    filename: input.filename,
    content_type: input.content_type,
    size: input.size,
    status: 'pending',
    rejection_reason: null,
    creator_id: call.principal.user_id,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await deps.documents.create(document, recordOwner, [
    domainEvent(call.events, 'document.created', documentResource(document), document),
  ]);
  const url = await deps.files.uploadUrl(documentKeys(document.id).upload, {
    contentType: document.content_type,
    size: document.size,
    seconds: UPLOAD_URL_SECONDS,
  });
  return {
    document,
    upload: {
      url,
      method: 'PUT',
      headers: { 'content-type': document.content_type, 'content-length': String(document.size) },
      expires_at: expiresAt(deps, UPLOAD_URL_SECONDS),
    },
  };
}

/** GET /documents/{id}: the document, with a fresh download URL when it is available. */
export async function getDocument(
  deps: DocumentsDeps,
  call: Call,
  id: string,
): Promise<{ document: Document; download: PresignedUrl | null }> {
  const document = await visibleDocument(deps, call, id);
  if (document.status !== 'available') return { document, download: null };
  const url = await deps.files.downloadUrl(documentKeys(document.id).stored, {
    filename: document.filename,
    contentType: document.content_type,
    seconds: DOWNLOAD_URL_SECONDS,
  });
  return { document, download: { url, method: 'GET', headers: {}, expires_at: expiresAt(deps, DOWNLOAD_URL_SECONDS) } };
}

/** GET /{leads|contacts|deals}/{id}/documents, newest first, once the caller is known to see the record. */
export async function listRecordDocuments(
  deps: DocumentsDeps,
  call: Call,
  ref: RecordRef,
  page: PageQuery,
): Promise<Page<Document>> {
  await visibleRecordOwner(deps.records, call.principal, ref);
  return deps.documents.ofRecord(ref, page);
}

/** DELETE /documents/{id}: the record, then its bytes (wherever they are). */
export async function deleteDocument(deps: DocumentsDeps, call: Call, id: string): Promise<void> {
  const document = await visibleDocument(deps, call, id);
  if (!canDeleteDocument(call.principal, document)) {
    throw new ForbiddenError(
      call.principal.role === 'user'
        ? 'Only the creator of a document may delete it (or their manager, or an admin)'
        : 'Managers delete their own documents and those of their direct reports; ask the creator or an admin',
      { code: 'document.delete_forbidden' },
    );
  }
  await deps.documents.delete(document, [domainEvent(call.events, 'document.deleted', documentResource(document), document)]);
  const keys = documentKeys(document.id);
  await Promise.all([deps.files.delete(keys.upload), deps.files.delete(keys.stored)]);
}

/** What the upload check did with an Object Created event. */
export type UploadCheckOutcome = 'available' | 'rejected' | 'orphan_deleted' | 'not_an_upload' | 'already_checked';

/**
 * The upload check (S3 Object Created under uploads/): measures and sniffs the object; an
 * accepted file is copied to its stored key (served as an attachment of the declared type) and
 * the document becomes available; a refused one is deleted and the document rejected. An upload
 * with no pending document (deleted meanwhile, or forged) is deleted. A redelivery finds the
 * upload gone and does nothing.
 */
export async function checkDocumentUpload(deps: DocumentsDeps, events: EventContext, key: string): Promise<UploadCheckOutcome> {
  const id = documentIdOfUpload(key);
  if (!id) return 'not_an_upload';
  const object = await deps.files.head(key);
  if (!object) return 'already_checked';
  const document = await deps.documents.get(id);
  if (!document || document.status !== 'pending') {
    await deps.files.delete(key);
    return document ? 'already_checked' : 'orphan_deleted';
  }
  const head = await deps.files.readStart(key, SNIFF_BYTES);
  const verdict = checkUpload(document, { size: object.size, head });
  const keys = documentKeys(id);
  if (verdict.accepted) {
    await deps.files.copy(key, keys.stored, { contentType: document.content_type, filename: document.filename });
  }
  const after = settleDocument(document, verdict, object.size, events.now.toISOString());
  const type = verdict.accepted ? 'document.available' : 'document.rejected';
  await deps.documents.update(document, after, [domainEvent(events, type, documentResource(after), after)]);
  await deps.files.delete(key);
  return verdict.accepted ? 'available' : 'rejected';
}
