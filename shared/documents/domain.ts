import * as z from 'zod/mini';
import type { Principal } from '#shared/kernel/principal.ts';
import { recordRefFields, relatedRecordTypeSchema, type RecordRef } from '#shared/kernel/related-records.ts';
import { canChange } from '#shared/kernel/visibility.ts';

// Documents on leads, contacts and deals (F3.4): files in S3, described by a record in the
// table. A document is created `pending` with a short-lived upload URL; the upload check (an
// S3 event) reads the real bytes and makes it `available` or, when the file breaks the limits
// below, deletes it and marks it `rejected`. Visible to whoever can see its record; deleted by
// its creator or whoever's scope covers the creator, as notes are.

/** The largest file accepted, in bytes (25 MiB: what mail attachments are usually held to). */
export const DOCUMENT_MAX_BYTES = 25 * 1024 * 1024;

/** How many leading bytes the upload check reads to sniff the type. */
export const SNIFF_BYTES = 4096;

/** Seconds an upload URL (presigned PUT) stays valid. */
export const UPLOAD_URL_SECONDS = 300;
/** Seconds a download URL (presigned GET) stays valid: fetch it, don't keep it. */
export const DOWNLOAD_URL_SECONDS = 60;

/**
 * The signatures the check recognises in a file's first bytes. `text` is UTF-8 without NUL
 * bytes that does not open with markup; `markup` (HTML, SVG, XML) is never accepted, since a
 * browser could run it.
 */
export type SniffedType = 'pdf' | 'png' | 'jpeg' | 'gif' | 'webp' | 'zip' | 'cfb' | 'text' | 'markup' | 'unknown';

/** The content types a document may declare, each with the signature its bytes must have. */
export const DOCUMENT_TYPES = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  // Office Open XML files are zip containers; the legacy Office formats are OLE compound files.
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'zip',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'zip',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'zip',
  'application/vnd.oasis.opendocument.text': 'zip',
  'application/vnd.oasis.opendocument.spreadsheet': 'zip',
  'application/zip': 'zip',
  'application/msword': 'cfb',
  'application/vnd.ms-excel': 'cfb',
  'application/vnd.ms-powerpoint': 'cfb',
  'text/plain': 'text',
  'text/csv': 'text',
} as const satisfies Record<string, SniffedType>;
export type DocumentContentType = keyof typeof DOCUMENT_TYPES;
export const DOCUMENT_CONTENT_TYPES = Object.keys(DOCUMENT_TYPES) as DocumentContentType[];

export const DOCUMENT_STATUSES = ['pending', 'available', 'rejected'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

/** Why the check rejected an upload. */
export const REJECTION_REASONS = ['too_large', 'size_mismatch', 'type_mismatch', 'empty'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export const FILENAME_MAX = 255;

/** A document as stored and as the API shows it (without its URLs). */
export const documentSchema = z.object({
  id: z.string(),
  resource_type: relatedRecordTypeSchema,
  resource_id: z.string(),
  filename: z.string(),
  content_type: z.enum(DOCUMENT_CONTENT_TYPES),
  /** Bytes: as declared while pending, as measured once checked. */
  size: z.int(),
  status: z.enum(DOCUMENT_STATUSES),
  /** Set when rejected, null otherwise. */
  rejection_reason: z.nullable(z.enum(REJECTION_REASONS)),
  creator_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type Document = z.output<typeof documentSchema>;

/** A filename without path parts or control characters; refused when nothing is left. */
export function cleanFilename(name: string): string {
  const base = name.split(/[\\/]/).at(-1) ?? '';
  // eslint-disable-next-line no-control-regex
  return base.replace(/[\u0000-\u001f\u007f"]/g, '').trim();
}

const filename = z.string().check(
  z.maxLength(FILENAME_MAX),
  z.refine(
    (v) => cleanFilename(v).length > 0 && cleanFilename(v) === v,
    'must be a plain file name (no path, quotes or control characters)',
  ),
);

export const createDocumentInput = z.strictObject({
  ...recordRefFields,
  filename,
  content_type: z.enum(DOCUMENT_CONTENT_TYPES),
  size: z.int().check(z.minimum(1), z.maximum(DOCUMENT_MAX_BYTES)),
});
export type CreateDocumentInput = z.output<typeof createDocumentInput>;

/** A presigned URL and until when it works. */
export const presignedUrlSchema = z.object({
  url: z.string(),
  method: z.enum(['PUT', 'GET']),
  /** Headers the request must send exactly (the upload's Content-Type and Content-Length are signed). */
  headers: z.record(z.string(), z.string()),
  expires_at: z.string(),
});
export type PresignedUrl = z.output<typeof presignedUrlSchema>;

/** POST /documents: the pending document and where to PUT its bytes. */
export const createdDocumentSchema = z.object({ document: documentSchema, upload: presignedUrlSchema });
/** GET /documents/{id}: the document and, once available, a fresh download URL (null otherwise). */
export const documentViewSchema = z.object({ document: documentSchema, download: z.nullable(presignedUrlSchema) });

/** Where a document's bytes are: the upload lands at `upload`, the checked file lives at `stored`. */
export function documentKeys(id: string): { upload: string; stored: string } {
  return { upload: `uploads/${id}`, stored: `documents/${id}` };
}

/** The document id of an upload key ("uploads/<id>"), undefined for any other key. */
export function documentIdOfUpload(key: string): string | undefined {
  const match = /^uploads\/([0-9A-HJKMNP-TV-Z]{26})$/.exec(key);
  return match?.[1];
}

const startsWith = (bytes: Uint8Array, signature: readonly number[], at = 0): boolean =>
  bytes.length >= at + signature.length && signature.every((b, i) => bytes[at + i] === b);
const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** What a file's first bytes are (SNIFF_BYTES of them suffice). */
export function sniffType(head: Uint8Array): SniffedType {
  if (startsWith(head, ascii('%PDF-'))) return 'pdf';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'gif';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'cfb';
  if (head.includes(0)) return 'unknown';
  let text: string;
  try {
    // A multi-byte character cut at the end of the head is not an error.
    text = new TextDecoder('utf-8', { fatal: true }).decode(trimPartialUtf8(head));
  } catch {
    return 'unknown';
  }
  // Markup a browser would render or run, whatever the declared type (HTML, SVG, XML).
  if (/^\s*</.test(text.replace(/^\uFEFF/, ''))) return 'markup';
  return 'text';
}

/** Drops an incomplete UTF-8 sequence at the end (a head cut mid-character). */
function trimPartialUtf8(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  for (let i = 1; i <= Math.min(3, bytes.length); i++) {
    const b = bytes[bytes.length - i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (need > i) end = bytes.length - i;
    break;
  }
  return bytes.subarray(0, end);
}

/** The check's verdict on an upload: accepted, or rejected with the reason. */
export type UploadVerdict = { accepted: true } | { accepted: false; reason: RejectionReason };

/**
 * Checks what was really uploaded against the limits and the declaration: at most
 * DOCUMENT_MAX_BYTES, the declared size exactly (the URL signs it, but emulators do not check),
 * and first bytes that match the declared type.
 */
export function checkUpload(
  declared: Pick<Document, 'content_type' | 'size'>,
  actual: { size: number; head: Uint8Array },
): UploadVerdict {
  if (actual.size === 0) return { accepted: false, reason: 'empty' };
  if (actual.size > DOCUMENT_MAX_BYTES) return { accepted: false, reason: 'too_large' };
  if (actual.size !== declared.size) return { accepted: false, reason: 'size_mismatch' };
  if (sniffType(actual.head) !== DOCUMENT_TYPES[declared.content_type]) return { accepted: false, reason: 'type_mismatch' };
  return { accepted: true };
}

/** Who may delete a visible document: its creator, or whoever's scope covers the creator. */
export function canDeleteDocument(principal: Principal, document: Pick<Document, 'creator_id'>): boolean {
  return canChange(principal, document.creator_id);
}

/** The document's record. */
export const documentRef = (document: Document): RecordRef => ({
  resource_type: document.resource_type,
  resource_id: document.resource_id,
});

/** The document re-pointed to another record (lead conversion): a new version. */
export function moveDocument(document: Document, to: RecordRef, at: string): Document {
  return { ...document, ...to, updated_at: at, version: document.version + 1 };
}

/** The document once checked: available, or rejected with the reason; a new version. */
export function settleDocument(document: Document, verdict: UploadVerdict, size: number, at: string): Document {
  return {
    ...document,
    status: verdict.accepted ? 'available' : 'rejected',
    rejection_reason: verdict.accepted ? null : verdict.reason,
    size,
    updated_at: at,
    version: document.version + 1,
  };
}
