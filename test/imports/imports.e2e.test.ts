import { describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { csvRows } from '#shared/imports/csv.ts';
import { createImportRoute, dryRunImportRoute, getImportRoute, startImportRoute } from '#shared/imports/routes.ts';
import { listNotificationsRoute } from '#shared/notifications/routes.ts';
import { getLeadRoute } from '#shared/leads/routes.ts';
import { rowRecordId } from '#shared/imports/domain.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// CSV imports over the local cloud end to end: the file PUT to a presigned URL (S3 gate, the
// emulator), the dry run, the start, the plan and batch messages on the import queue drained by
// the import-worker (its event source: at most the template's maximum concurrency), the counters,
// the error file, and the importer's notification.

const session = useTestCloud();
const { call } = session;

/** A leads file of `n` rows; the rows in `bad` have no last name, or (even ones) an owner nobody has. */
function leadsCsv(n: number, bad: ReadonlySet<number> = new Set(), tag = 'x'): string {
  const lines = ['First Name,Last Name,Email,Owner,Tags'];
  for (let row = 1; row <= n; row++) {
    if (bad.has(row) && row % 2 === 0) lines.push(`Zoë,Müller ${row},z${row}-${tag}@example.com,nobody@example.com,csv`);
    else if (bad.has(row)) lines.push(`Zoë,,z${row}-${tag}@example.com,rep1@example.com,csv`);
    else lines.push(`Zoë,"Müller, ${row}",z${row}-${tag}@example.com,rep1@example.com,csv`);
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

async function uploadedImport(who: string, csv: string) {
  const bytes = Buffer.from(csv, 'utf8');
  const created = bodyOf(
    await call(createImportRoute, { as: who, body: { resource: 'leads', filename: 'leads.csv', size: bytes.length } }),
    201,
  );
  const put = await fetch(created.upload.url, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: bytes });
  await put.arrayBuffer();
  expect(put.status).toBe(200);
  return created.import;
}

async function finished(who: string, id: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = bodyOf(await call(getImportRoute, { as: who, params: { id } }), 200);
    if (view.import.status === 'finished') return view;
    if (Date.now() > deadline) throw new Error(`import ${id} not finished: ${JSON.stringify(view.import)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A leads file of `n` rows owned by the importer, without tags: what each lead fans out to
 * (feed, outcomes) stays small, so that the 5,000-row case spends its time on the import.
 */
function plainLeadsCsv(n: number, tag: string): string {
  const lines = ['Last Name,Email'];
  for (let row = 1; row <= n; row++) lines.push(`Plain ${row},p${row}-${tag}@example.com`);
  return `${lines.join('\r\n')}\r\n`;
}

/** The real SQS behind the gates (what the test itself does to the queue, not a function). */
function upstreamSqs(): SQSClient {
  return new SQSClient({
    endpoint: session.cloud.iam.upstreams.sqs!,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** The leads in the table whose e-mail carries `tag`, counted in the table itself. */
async function leadsTagged(tag: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await session.table().send(
      new ScanCommand({
        TableName: session.cloud.names.tableName,
        FilterExpression: 'sk = :lead AND contains(email, :tag)',
        ExpressionAttributeValues: { ':lead': 'lead', ':tag': `-${tag}@` },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

describe('CSV import', () => {
  const bad = new Set([3, 97, 150, 151, 400, 401, 402, 777, 900, 1000]);

  it('dry-runs 1,000 rows to exactly the 10 bad ones, imports the 990 others, and notifies the importer', async () => {
    const job = await uploadedImport('admin', leadsCsv(1000, bad));
    const dry = bodyOf(await call(dryRunImportRoute, { as: 'admin', params: { id: job.id }, body: {} }), 200);
    expect(dry).toMatchObject({ total_rows: 1000, valid_rows: 990, error_count: 10 });
    expect(dry.errors.map((e) => e.row)).toEqual([...bad].sort((a, b) => a - b));
    expect(dry.errors[0]).toEqual({ row: 3, column: 'Last Name', reason: 'a lead needs a last name or an organization name' });
    expect(bodyOf(await call(getImportRoute, { as: 'admin', params: { id: job.id } }), 200).import.created).toBe(0);

    bodyOf(await call(startImportRoute, { as: 'admin', params: { id: job.id }, body: {} }), 202);
    const view = await finished('admin', job.id, 400_000);
    if (view.import.failed !== 10 && view.errors_download)
      console.log((await (await fetch(view.errors_download.url)).text()).slice(0, 600));
    expect(view.import).toMatchObject({
      total_rows: 1000,
      created: 990,
      updated: 0,
      failed: 10,
      batches_done: view.import.batches,
    });
    const lead = bodyOf(await call(getLeadRoute, { as: 'rep1', params: { id: rowRecordId(job.id, 1) } }), 200);
    expect(lead).toMatchObject({ first_name: 'Zoë', last_name: 'Müller, 1', owner_id: session.id('rep1'), tags: ['csv'] });

    const errors = await fetch(view.errors_download!.url);
    expect(errors.headers.get('content-disposition')).toMatch(/^attachment/);
    // Bytes, not text(): fetch's text() drops a byte order mark.
    const bytes = new Uint8Array(await errors.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    const rows: string[][] = [];
    for await (const r of csvRows([text])) rows.push(r);
    expect(rows.slice(1).map((r) => Number(r[5]))).toEqual([...bad].sort((a, b) => a - b));

    const deadline = Date.now() + 20_000;
    let inbox;
    do {
      inbox = bodyOf(await call(listNotificationsRoute, { as: 'admin', query: { limit: 50 } }), 200);
      if (inbox.items.some((n) => n.kind === 'import_finished')) break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < deadline);
    expect(inbox.items.find((n) => n.kind === 'import_finished')?.records).toEqual([
      { type: 'import', id: job.id, name: 'leads.csv' },
    ]);
  }, 500_000);

  // Redelivery of every batch while the first copies run (500 rows, 5 batches); the worker
  // killed midway is the 5,000-row case below.
  it('imports 500 rows exactly once each while every batch is delivered again (a worker died, SQS redelivered)', async () => {
    const ROWS = 500;
    const tag = Math.random().toString(36).slice(2, 10);
    const job = await uploadedImport('admin', leadsCsv(ROWS, new Set(), tag));
    bodyOf(await call(startImportRoute, { as: 'admin', params: { id: job.id }, body: {} }), 202);
    // The plan again: every batch message is queued a second time, while the first copies run.
    const sqs = upstreamSqs();
    try {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: session.cloud.names.importQueue.queueName }));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ type: 'plan', import_id: job.id }) }));
    } finally {
      sqs.destroy();
    }
    const view = await finished('admin', job.id, 400_000);
    expect(view.import).toMatchObject({
      total_rows: ROWS,
      created: ROWS,
      failed: 0,
      batches: ROWS / 100,
      batches_done: ROWS / 100,
    });
    for (const row of [1, ROWS / 2, ROWS]) {
      bodyOf(await call(getLeadRoute, { as: 'admin', params: { id: rowRecordId(job.id, row) } }), 200);
    }
    // Every lead of the file, counted in the table itself: all, none twice.
    const count = await leadsTagged(tag);
    expect(count).toBe(ROWS);
  }, 500_000);

  it('resumes a 5,000-row import whose worker is killed midway to exactly 5,000 records, none twice', async () => {
    const ROWS = 5000;
    const tag = Math.random().toString(36).slice(2, 10);
    const sqs = upstreamSqs();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: session.cloud.names.importQueue.queueName }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['VisibilityTimeout'] }));
    // The killed worker's batches come back after the queue's visibility timeout (six minutes in
    // the template): shortened here so that the test waits seconds for SQS's redelivery.
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: '20' } }));
    try {
      const job = await uploadedImport('admin', plainLeadsCsv(ROWS, tag));
      const started = Date.now();
      bodyOf(await call(startImportRoute, { as: 'admin', params: { id: job.id }, body: {} }), 202);
      // Killed once a few batches are recorded: the two the pollers hold are mid-run then.
      let view;
      do {
        await new Promise((r) => setTimeout(r, 200));
        view = bodyOf(await call(getImportRoute, { as: 'admin', params: { id: job.id } }), 200);
      } while (view.import.batches_done < 3);
      await session.cloud.functions.get('import-worker').recycle();
      const killedAt = view.import;
      expect(killedAt.status).toBe('running');
      expect(killedAt.batches_done).toBeLessThan(ROWS / 100);

      const done = await finished('admin', job.id, 1_150_000);
      console.log(
        `kill-and-resume: ${ROWS} rows in ${Math.round((Date.now() - started) / 1000)} s, killed after ${killedAt.batches_done} batches`,
      );
      expect(done.import).toMatchObject({
        status: 'finished',
        total_rows: ROWS,
        created: ROWS,
        updated: 0,
        failed: 0,
        batches: ROWS / 100,
        batches_done: ROWS / 100,
      });
      expect(done.errors_download).toBeNull();
      expect(await leadsTagged(tag)).toBe(ROWS);
      for (const row of [1, 2500, ROWS]) {
        expect(bodyOf(await call(getLeadRoute, { as: 'admin', params: { id: rowRecordId(job.id, row) } }), 200)).toMatchObject({
          last_name: `Plain ${row}`,
          owner_id: session.id('admin'),
        });
      }
    } finally {
      await sqs.send(
        new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: Attributes!.VisibilityTimeout! } }),
      );
      sqs.destroy();
    }
  }, 1_200_000);
});
