import { BatchProcessor, EventType, FullBatchFailureError, processPartialResponse } from '@aws-lambda-powertools/batch';
import type {
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  SQSBatchResponse,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import type * as z from 'zod/mini';
import { logger } from '#shared/platform/observability.ts';
import { issuesOf, MalformedEventError } from './errors.ts';
import { endInvocation, startInvocation } from './invocation.ts';

// The entry shape of consumers that get batches: DynamoDB stream batches (streamHandler) and
// SQS batches (sqsHandler), on Powertools' BatchProcessor. Each record runs on its own; the
// answer lists exactly the records that failed (partial batch response), so Lambda retries
// those (a stream: from the earliest failed record on; SQS: only the failed messages). When
// every record fails the invocation throws, so the function's Errors metric sees it; Lambda
// treats that as the whole batch failing, as the list would say. Metrics: Processed and
// Failures, per record.

export interface BatchHandlerOptions<R> {
  /** The consumer's name, kebab-case (its function's name): the `consumer` log key. */
  readonly name: string;
  /**
   * Runs a batch's records at once instead of one after another in order. Then the records'
   * keys cannot sit on the shared logger (they would cross): they go on this stack's own
   * lines only, and a record handler's lines must name their record themselves.
   */
  readonly parallel?: boolean;
  /** Log keys naming a record beside its id (its event id, type...); must not throw on a bad record. */
  readonly logKeys?: (record: R) => Record<string, unknown>;
}

/**
 * A DynamoDB stream consumer; records are passed as Lambda gives them (images marshalled).
 * Log keys per record: sequence_number, event_name, plus `logKeys`.
 */
export function streamHandler(
  options: BatchHandlerOptions<DynamoDBRecord>,
  run: (record: DynamoDBRecord, context: Context | undefined) => Promise<unknown>,
): (event: DynamoDBStreamEvent, context?: Context) => Promise<DynamoDBBatchResponse> {
  return batchHandler(
    EventType.DynamoDBStreams,
    options,
    (record) => ({ sequence_number: record.dynamodb?.SequenceNumber, event_name: record.eventName }),
    run,
  );
}

type BodyOf<S> = S extends z.ZodMiniType ? z.output<S> : string;

/**
 * An SQS consumer. With `body`, each message's body is parsed as JSON and checked against it
 * (a message that does not parse fails on its own, and reaches the queue's DLQ after its
 * receives); without, the handler gets the body text. Log keys per record: message_id, plus `logKeys`.
 */
export function sqsHandler<S extends z.ZodMiniType | undefined = undefined>(
  options: BatchHandlerOptions<SQSRecord> & { readonly body?: S },
  run: (body: BodyOf<S>, record: SQSRecord, context: Context | undefined) => Promise<unknown>,
): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  return batchHandler(
    EventType.SQS,
    options,
    (record) => ({ message_id: record.messageId }),
    async (record, context) => run(parseBody(options.body, record) as BodyOf<S>, record, context),
  );
}

function parseBody(schema: z.ZodMiniType | undefined, record: SQSRecord): unknown {
  if (!schema) return record.body;
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch {
    throw new MalformedEventError('message body is not JSON', []);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new MalformedEventError('message body does not match its schema', issuesOf(parsed.error));
  return parsed.data;
}

function batchHandler<R extends DynamoDBRecord | SQSRecord, Response extends { batchItemFailures: { itemIdentifier: string }[] }>(
  type: (typeof EventType)['DynamoDBStreams' | 'SQS'],
  options: BatchHandlerOptions<R>,
  idKeys: (record: R) => Record<string, unknown>,
  run: (record: R, context: Context | undefined) => Promise<unknown>,
): (event: { Records: R[] }, context?: Context) => Promise<Response> {
  const parallel = options.parallel ?? false;
  return async (event, context) => {
    const counts = startInvocation(options.name, context);
    const records = event?.Records ?? [];
    const handle = async (record: R): Promise<unknown> => {
      const keys = { ...idKeys(record), ...safeKeys(options.logKeys, record) };
      if (!parallel) logger.appendKeys(keys);
      try {
        const result = await run(record, context);
        counts.add('processed');
        return result;
      } catch (error) {
        counts.add('failures');
        const details = error instanceof MalformedEventError ? { issues: error.issues } : {};
        logger.error('record failed', { ...keys, ...details, error: error as Error });
        throw error;
      } finally {
        if (!parallel) logger.removeKeys(Object.keys(keys));
      }
    };
    try {
      if (records.length === 0) return { batchItemFailures: [] } as unknown as Response;
      // A processor per invocation: it holds the batch's state between register and response.
      const processor = new BatchProcessor(type, { logger });
      const response = await processPartialResponse(
        { Records: records },
        handle as (record: unknown) => Promise<unknown>,
        processor,
        { processInParallel: parallel, ...(context ? { context } : {}) },
      );
      logger.info('batch handled', { records: records.length, failed: response.batchItemFailures.length });
      return response as Response;
    } catch (error) {
      if (error instanceof FullBatchFailureError) logger.error('every record of the batch failed', { records: records.length });
      else logger.error('batch failed', { error: error as Error });
      throw error;
    } finally {
      endInvocation(counts);
    }
  };
}

function safeKeys<R>(logKeys: ((record: R) => Record<string, unknown>) | undefined, record: R): Record<string, unknown> {
  try {
    return logKeys?.(record) ?? {};
  } catch {
    return {};
  }
}
