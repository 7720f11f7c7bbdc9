import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

// A bucket of files reached through presigned URLs (the browser moves the bytes) and a few
// object calls (the checks). Downloads are attachments: the URL asks S3 for an attachment
// Content-Disposition and the declared type, and the stored object carries both too, so a
// file is never rendered inline from the bucket's origin.

/** The Content-Disposition of an attachment named `filename` (RFC 6266, with an RFC 5987 exact name). */
export function attachmentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export class S3FileStore {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: { bucket: string; client?: S3Client }) {
    // Checksums only when an operation requires them: a presigned PUT must not carry the
    // checksum of an empty body (S3 would refuse the real one), and the emulator stores them as sent.
    this.#client =
      options.client ??
      new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    this.#bucket = options.bucket;
  }

  /** A presigned PUT that signs Content-Type and Content-Length: S3 refuses other bytes. */
  uploadUrl(key: string, options: { contentType: string; size: number; seconds: number }): Promise<string> {
    return getSignedUrl(
      this.#client,
      new PutObjectCommand({ Bucket: this.#bucket, Key: key, ContentType: options.contentType, ContentLength: options.size }),
      { expiresIn: options.seconds, signableHeaders: new Set(['content-type', 'content-length']) },
    );
  }

  downloadUrl(key: string, options: { filename: string; contentType: string; seconds: number }): Promise<string> {
    return getSignedUrl(
      this.#client,
      new GetObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        ResponseContentDisposition: attachmentDisposition(options.filename),
        ResponseContentType: options.contentType,
      }),
      { expiresIn: options.seconds },
    );
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { size: out.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async readStart(key: string, bytes: number): Promise<Uint8Array> {
    const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key, Range: `bytes=0-${bytes - 1}` }));
    const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    // A server that ignores Range sends the whole object: only the start counts.
    return body.subarray(0, bytes);
  }

  async copy(from: string, to: string, options: { contentType: string; filename: string }): Promise<void> {
    await this.#client.send(
      new CopyObjectCommand({
        Bucket: this.#bucket,
        Key: to,
        CopySource: `${this.#bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'REPLACE',
        ContentType: options.contentType,
        ContentDisposition: attachmentDisposition(options.filename),
      }),
    );
  }

  /** The object's bytes as a stream; undefined when there is no such object. */
  async read(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      return out.Body as AsyncIterable<Uint8Array> | undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Writes a whole (small) object, stored as an attachment of `contentType`. */
  async put(key: string, body: string, options: { contentType: string; filename: string }): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: body,
        ContentType: options.contentType,
        ContentDisposition: attachmentDisposition(options.filename),
      }),
    );
  }

  async delete(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}
