import { FullBatchFailureError } from '@aws-lambda-powertools/batch';
import type { DynamoDBRecord, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { sqsHandler, streamHandler } from '#shared/platform/consumers/batches.ts';
import { logger } from '#shared/platform/observability.ts';
import { capturingOutput, logged, metricSum, rejection } from '#test/helpers/captured-output.ts';

// The batch consumers' stack: Powertools' BatchProcessor under our logger keys and metrics.

const streamRecord = (sequence: string, id: string): DynamoDBRecord => ({
  eventID: `e${sequence}`,
  eventName: 'INSERT',
  eventSource: 'aws:dynamodb',
  dynamodb: { SequenceNumber: sequence, Keys: { pk: { S: id } }, NewImage: { pk: { S: id } } },
});

const sqsRecord = (messageId: string, body: string): SQSRecord => ({
  messageId,
  receiptHandle: `r-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'x',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
  awsRegion: 'us-east-1',
});

const idOf = (record: DynamoDBRecord) => record.dynamodb?.Keys?.pk?.S ?? '';

describe('streamHandler', () => {
  it('reports exactly the failed records, runs them in order, and names each record on its log lines', async () => {
    const order: string[] = [];
    const handler = streamHandler({ name: 'stream-test', logKeys: (r) => ({ item: idOf(r) }) }, async (record) => {
      order.push(idOf(record));
      logger.info('handling');
      if (idOf(record) === 'b' || idOf(record) === 'd') throw new Error(`cannot handle ${idOf(record)}`);
    });
    const records = ['a', 'b', 'c', 'd', 'e'].map((id, i) => streamRecord(String(100 + i), id));
    const { result, lines } = await capturingOutput(() => handler({ Records: records }));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '101' }, { itemIdentifier: '103' }] });
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    const handling = logged(lines, 'handling');
    expect(handling.map((l) => [l.item, l.sequence_number, l.consumer])).toEqual(
      ['a', 'b', 'c', 'd', 'e'].map((id, i) => [id, String(100 + i), 'stream-test']),
    );
    expect(logged(lines, 'record failed').map((l) => l.item)).toEqual(['b', 'd']);
    expect(logged(lines, 'batch handled')[0]).toMatchObject({ records: 5, failed: 2 });
    expect(logged(lines, 'batch handled')[0]).not.toHaveProperty('item');
    expect(metricSum(lines, 'Processed')).toBe(3);
    expect(metricSum(lines, 'Failures')).toBe(2);
  });

  it('throws when every record fails, so Lambda sees a function error and retries the batch', async () => {
    const handler = streamHandler({ name: 'stream-test' }, async () => {
      throw new Error('table unreachable');
    });
    const { result: error, lines } = await capturingOutput(() =>
      rejection(handler({ Records: [streamRecord('1', 'a'), streamRecord('2', 'b')] })),
    );
    expect(error).toBeInstanceOf(FullBatchFailureError);
    expect(metricSum(lines, 'Failures')).toBe(2);
    expect(logged(lines, 'every record of the batch failed')[0]).toMatchObject({ records: 2 });
  });

  it('answers an empty batch with no failures', async () => {
    const handler = streamHandler({ name: 'stream-test' }, async () => undefined);
    expect(await handler({ Records: [] })).toEqual({ batchItemFailures: [] });
  });

  it('runs the records of a parallel handler at once, with each record named on its own failure line', async () => {
    let running = 0;
    let most = 0;
    const handler = streamHandler(
      { name: 'parallel-test', parallel: true, logKeys: (r) => ({ item: idOf(r) }) },
      async (record) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        if (idOf(record) === 'c') throw new Error('no');
      },
    );
    const { result, lines } = await capturingOutput(() =>
      handler({ Records: ['a', 'b', 'c'].map((id, i) => streamRecord(String(i + 1), id)) }),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '3' }] });
    expect(most).toBe(3);
    expect(logged(lines, 'record failed')[0]).toMatchObject({ item: 'c', sequence_number: '3', consumer: 'parallel-test' });
  });
});

describe('sqsHandler', () => {
  const body = z.object({ deal_id: z.string(), attempt: z.number() });

  it('parses each body, and fails only the messages that do not parse or whose handler throws', async () => {
    const seen: string[] = [];
    const handler = sqsHandler({ name: 'sqs-test', body, logKeys: (r) => ({ receipt: r.receiptHandle }) }, async (parsed) => {
      seen.push(parsed.deal_id);
      if (parsed.attempt > 2) throw new Error('gave up');
    });
    const { result, lines } = await capturingOutput(() =>
      handler({
        Records: [
          sqsRecord('m1', JSON.stringify({ deal_id: 'D1', attempt: 1 })),
          sqsRecord('m2', 'not json'),
          sqsRecord('m3', JSON.stringify({ deal_id: 'D3' })),
          sqsRecord('m4', JSON.stringify({ deal_id: 'D4', attempt: 3 })),
          sqsRecord('m5', JSON.stringify({ deal_id: 'D5', attempt: 2 })),
        ],
      }),
    );
    expect(result).toEqual({ batchItemFailures: ['m2', 'm3', 'm4'].map((itemIdentifier) => ({ itemIdentifier })) });
    expect(seen).toEqual(['D1', 'D4', 'D5']);
    const failures = logged(lines, 'record failed');
    expect(failures.map((l) => [l.message_id, l.receipt])).toEqual([
      ['m2', 'r-m2'],
      ['m3', 'r-m3'],
      ['m4', 'r-m4'],
    ]);
    expect(failures[1]!.issues).toEqual([expect.stringMatching(/^attempt:/)]);
    expect(metricSum(lines, 'Processed')).toBe(2);
    expect(metricSum(lines, 'Failures')).toBe(3);
  });

  it('hands over the body text when no schema is given', async () => {
    const bodies: string[] = [];
    const handler = sqsHandler({ name: 'sqs-text' }, async (text) => void bodies.push(text));
    await capturingOutput(() => handler({ Records: [sqsRecord('m1', 'hello')] }));
    expect(bodies).toEqual(['hello']);
  });
});
