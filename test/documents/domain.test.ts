import { describe, expect, it } from 'vitest';
import {
  checkUpload,
  cleanFilename,
  createDocumentInput,
  DOCUMENT_MAX_BYTES,
  documentIdOfUpload,
  sniffType,
} from '#shared/documents/domain.ts';
import { attachmentDisposition } from '#shared/platform/s3-files.ts';
import * as z from 'zod/mini';

// The limits the upload check enforces after the fact, and how it recognises a file.

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))));

describe('sniffType', () => {
  it.each([
    ['pdf', bytes('%PDF-1.4\n')],
    ['png', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])],
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0])],
    ['gif', bytes('GIF89a')],
    ['webp', bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 ')],
    ['zip', bytes([0x50, 0x4b, 0x03, 0x04, 20, 0])],
    ['cfb', bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])],
    ['text', bytes('name,email\nAda,ada@example.com\n')],
    ['text', new Uint8Array(Buffer.from('\uFEFFcafé, crème'))],
    ['markup', bytes('  <!doctype html><script>alert(1)</script>')],
    ['markup', bytes('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')],
    ['unknown', bytes([0x7f, 0x45, 0x4c, 0x46, 0, 1])],
    ['unknown', bytes([0xc3, 0x28, 0x41])],
  ] as const)('recognises %s', (type, head) => {
    expect(sniffType(head)).toBe(type);
  });

  it('keeps text whose head cuts a multi-byte character in two', () => {
    const text = Buffer.from('é'.repeat(10));
    expect(sniffType(new Uint8Array(text.subarray(0, 7)))).toBe('text');
  });
});

describe('checkUpload', () => {
  const declared = { content_type: 'application/pdf' as const, size: 9 };
  it('accepts the declared size and a matching signature', () => {
    expect(checkUpload(declared, { size: 9, head: bytes('%PDF-1.7\n') })).toEqual({ accepted: true });
  });
  it('rejects an empty file, one over the limit, one of another size, and bytes of another type', () => {
    expect(checkUpload(declared, { size: 0, head: bytes() })).toEqual({ accepted: false, reason: 'empty' });
    expect(
      checkUpload({ ...declared, size: DOCUMENT_MAX_BYTES }, { size: DOCUMENT_MAX_BYTES + 1, head: bytes('%PDF-') }),
    ).toEqual({
      accepted: false,
      reason: 'too_large',
    });
    expect(checkUpload(declared, { size: 10, head: bytes('%PDF-1.7\n\n') })).toEqual({
      accepted: false,
      reason: 'size_mismatch',
    });
    expect(checkUpload(declared, { size: 9, head: bytes('<html>   ') })).toEqual({ accepted: false, reason: 'type_mismatch' });
  });
  it('never accepts markup as text, csv or any other declared type', () => {
    const head = bytes('<html></html>');
    expect(checkUpload({ content_type: 'text/plain', size: 13 }, { size: 13, head })).toEqual({
      accepted: false,
      reason: 'type_mismatch',
    });
    expect(checkUpload({ content_type: 'text/csv', size: 13 }, { size: 13, head })).toMatchObject({ accepted: false });
  });
  it('takes an Office document (a zip container) for its OOXML type', () => {
    const docx = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' as const;
    expect(checkUpload({ content_type: docx, size: 6 }, { size: 6, head: bytes([0x50, 0x4b, 0x03, 0x04, 20, 0]) })).toEqual({
      accepted: true,
    });
  });
});

describe('what POST /documents accepts', () => {
  const base = {
    resource_type: 'contact',
    resource_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
    filename: 'a.pdf',
    content_type: 'application/pdf',
    size: 10,
  };
  it('refuses a size over the limit, an unlisted type and a path for a file name', () => {
    expect(z.safeParse(createDocumentInput, base).success).toBe(true);
    expect(z.safeParse(createDocumentInput, { ...base, size: DOCUMENT_MAX_BYTES + 1 }).success).toBe(false);
    expect(z.safeParse(createDocumentInput, { ...base, size: 0 }).success).toBe(false);
    expect(z.safeParse(createDocumentInput, { ...base, content_type: 'text/html' }).success).toBe(false);
    expect(z.safeParse(createDocumentInput, { ...base, content_type: 'image/svg+xml' }).success).toBe(false);
    expect(z.safeParse(createDocumentInput, { ...base, filename: '../../etc/passwd' }).success).toBe(false);
    expect(z.safeParse(createDocumentInput, { ...base, filename: 'a"b.pdf' }).success).toBe(false);
  });
  it('cleans names to their last path part without control characters', () => {
    expect(cleanFilename('C:\\Users\\ada\\quote.pdf')).toBe('quote.pdf');
    expect(cleanFilename('a\u0000b\n.pdf')).toBe('ab.pdf');
  });
});

describe('keys and headers', () => {
  it('reads a document id only from an upload key', () => {
    expect(documentIdOfUpload('uploads/01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe('01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(documentIdOfUpload('documents/01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeUndefined();
    expect(documentIdOfUpload('uploads/../x')).toBeUndefined();
  });
  it('serves every download as an attachment with an ASCII fallback and the exact name', () => {
    expect(attachmentDisposition('Devis été (2).pdf')).toBe(
      `attachment; filename="Devis _t_ (2).pdf"; filename*=UTF-8''Devis%20%C3%A9t%C3%A9%20%282%29.pdf`,
    );
  });
});
