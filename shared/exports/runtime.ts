import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Readable } from 'node:stream';
import type * as z from 'zod/mini';
import { contactAdapters } from '#shared/contacts/runtime.ts';
import { listContacts } from '#shared/contacts/use-cases.ts';
import { customFieldAdapters } from '#shared/custom-fields/runtime.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { listDeals } from '#shared/deals/use-cases.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { listLeads } from '#shared/leads/use-cases.ts';
import { crmTable, runtimeClock } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { attachmentDisposition, S3FileStore } from '#shared/platform/s3-files.ts';
import type { ExportMessage, ExportResource } from './domain.ts';
import { DynamoExportRepository } from './dynamodb.ts';
import type { ExportFiles, ExportQueue, ExportSources } from './ports.ts';
import type { ExportsDeps } from './use-cases.ts';

// The exports module's adapters, built once per container: the table, the files bucket, the
// export queue (SQS), and the families' own list use cases with their list routes' query
// schemas as the lists an export reads (one source of truth: an export equals its list).

const CUSTOM_FIELD_RESOURCE = { leads: 'lead', contacts: 'contact', deals: 'deal' } as const;

/** Each resource's list route query schema (shared/families.ts listQueries: the composition root holds the routes). */
export type ListQueries = Readonly<Record<ExportResource, z.ZodMiniType<Record<string, unknown>>>>;

/** The export queue: one message per slice. */
export class SqsExportQueue implements ExportQueue {
  readonly #client: SQSClient;
  readonly #url: string;
  constructor(options: { url: string; client?: SQSClient }) {
    // The configured endpoint, not the URL's host: the same in AWS, and the gated one locally.
    this.#client = options.client ?? new SQSClient({ useQueueUrlAsEndpoint: false });
    this.#url = options.url;
  }

  async send(message: ExportMessage): Promise<void> {
    await this.#client.send(new SendMessageCommand({ QueueUrl: this.#url, MessageBody: JSON.stringify(message) }));
  }
}

/** The files bucket for exports: parts and the joined file (one streamed PUT of the parts' bytes). */
export class S3ExportFiles implements ExportFiles {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #store: S3FileStore;
  constructor(options: { bucket: string; client?: S3Client }) {
    this.#client =
      options.client ??
      new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    this.#bucket = options.bucket;
    this.#store = new S3FileStore({ bucket: options.bucket, client: this.#client });
  }

  async putPart(key: string, body: string): Promise<void> {
    await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentType: 'text/csv' }));
  }

  async join(parts: readonly string[], to: string, options: { bytes: number; contentType: string; filename: string }) {
    const client = this.#client;
    const bucket = this.#bucket;
    // One part open at a time: memory stays one chunk, whatever the file's size (a PUT takes 5 GB).
    async function* bytes(): AsyncGenerator<Uint8Array> {
      for (const key of parts) {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        for await (const chunk of out.Body as AsyncIterable<Uint8Array>) yield chunk;
      }
    }
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: to,
        Body: Readable.from(bytes()),
        ContentLength: options.bytes,
        ContentType: options.contentType,
        ContentDisposition: attachmentDisposition(options.filename),
      }),
    );
  }

  delete(key: string): Promise<void> {
    return this.#store.delete(key);
  }

  downloadUrl(key: string, options: { filename: string; contentType: string; seconds: number }): Promise<string> {
    return this.#store.downloadUrl(key, options);
  }
}

/** The families' list use cases, each fed the filters its own list route's query schema parsed. */
export function exportSources(listQueries: ListQueries): ExportSources {
  const users = new DynamoUserRepository(crmTable());
  return {
    page: async (resource: ExportResource, call, filters, page) => {
      const parsed = listQueries[resource].safeParse(filters);
      if (!parsed.success) {
        throw new ValidationError(
          parsed.error.issues.map((i) => ({ field: ['filters', ...i.path].join('.'), message: i.message })),
        );
      }
      const request = { ...parsed.data, limit: page.limit, cursor: page.cursor ?? undefined, raw: parsed.data };
      if (resource === 'leads') return listLeads(leadAdapters(), call, request as Parameters<typeof listLeads>[2]);
      if (resource === 'contacts') return listContacts(contactAdapters(), call, request as Parameters<typeof listContacts>[2]);
      return listDeals(dealAdapters(), call, request as Parameters<typeof listDeals>[2]);
    },
    customFieldNames: async (resource) =>
      (await customFieldAdapters().catalog.definitions(CUSTOM_FIELD_RESOURCE[resource])).map((d) => d.name),
    emailsOf: async (ids) => {
      const found = new Map<string, string>();
      for (const id of ids) {
        const user = await users.get(id);
        if (user) found.set(id, user.email);
      }
      return found;
    },
  };
}

let deps: ExportsDeps | undefined;

/** The adapters, built on the first call (`listQueries` then; later calls reuse them). */
export function exportAdapters(listQueries: ListQueries): ExportsDeps {
  deps ??= {
    exports: new DynamoExportRepository(crmTable()),
    files: new S3ExportFiles({ bucket: requireEnv(RUNTIME_ENV.filesBucket) }),
    queue: new SqsExportQueue({ url: requireEnv(RUNTIME_ENV.exportQueueUrl) }),
    sources: exportSources(listQueries),
    clock: runtimeClock,
  };
  return deps;
}
