import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { matchesPattern, type EventPattern } from '#shared/kernel/event-patterns.ts';

// Stands in for Lambda's event source mapping on the table stream: polls DynamoDB Local's
// stream, applies the same filter pattern, hands batches to the real handler in Lambda's
// event shape and checkpoints per shard in the data folder. A record's position is saved
// only once the handler's answer for it is known: on a partial batch failure the records
// before the first failed one are checkpointed and the rest is sent again (as Lambda does
// with ReportBatchItemFailures), so a crash at any point replays, and never skips, a record.
// After `maxAttempts` the failed records are parked in the on-failure destination (Lambda's
// pointer record, in the local SQS) and the shard moves on; if parking fails, nothing moves.

export interface StreamPollerOptions {
  endpoint: string;
  /**
   * Whom the stream is read as: in AWS the mapping reads with its function's role, so the local
   * cloud passes the function's own key (the IAM gate checks it). Default: unchecked local ones.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** The region requests are signed for (default us-east-1). */
  region?: string;
  streamArn: string;
  filter: EventPattern;
  /** The publisher: a plain async function (in-process, or a proxy to a worker). */
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  /** Where shard positions are kept; none keeps them in memory. */
  checkpointFile?: string;
  /**
   * Wait between passes that found nothing (ms, default 25). A pass that delivered records is
   * followed at once by the next, as Lambda's poller does while a shard has records. Lambda
   * itself polls about 4 times a second; locally the wait is the floor of every event's lag.
   */
  intervalMs?: number;
  batchSize?: number;
  /** Handler calls per batch before its failed records are parked (the stack's ESM: 1 + 10 retries). */
  maxAttempts?: number;
  /** Wait before the first retry, doubled for each next one up to 2 s (ms). */
  retryDelayMs?: number;
  /** The on-failure destination; none: records that exhaust their attempts are skipped with onError. */
  onFailure?: (record: StreamFailureRecord) => Promise<void>;
  onError?: (error: Error) => void;
}

/** Lambda's on-failure record for a stream batch: where the records are, not the records. */
export interface StreamFailureRecord {
  version: '1.0';
  timestamp: string;
  requestContext: { requestId: string; functionArn: string; condition: 'RetryAttemptsExhausted'; approximateInvokeCount: number };
  responseContext: { statusCode: 200; executedVersion: '$LATEST'; functionError: 'Unhandled' | 'BatchItemFailures' };
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

const MAX_RETRY_DELAY_MS = 2_000;

/** Lambda's DynamoDB event source mapping for one stream and one handler (see the header). */
export class StreamPoller {
  readonly #client: DynamoDBStreamsClient;
  readonly #options: StreamPollerOptions;
  readonly #shards = new Set<string>();
  /** Per shard: the next iterator; null once the shard is closed and read; absent: get one from the checkpoint. */
  readonly #iterators = new Map<string, string | null>();
  #checkpoints: Record<string, string> = {};
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #lastDescribe = 0;
  /** True while the loop waits out the idle interval (a nudge may cut it short). */
  #idle = false;
  /** A nudge came during a pass: the next pass starts at once. */
  #nudged = false;

  constructor(options: StreamPollerOptions) {
    this.#options = options;
    this.#client = new DynamoDBStreamsClient({
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      credentials: options.credentials ?? { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    if (options.checkpointFile && existsSync(options.checkpointFile)) {
      this.#checkpoints = JSON.parse(readFileSync(options.checkpointFile, 'utf8')) as Record<string, string>;
    }
  }

  start(): void {
    void this.#loop();
  }

  /**
   * Reads the stream now rather than after the idle wait: the local cloud calls it when a write
   * reached the table (its IAM gate sees each one), so a change is read within milliseconds
   * without polling every few. Only the timing changes: a nudge with nothing new reads nothing.
   */
  nudge(): void {
    if (this.#stopped) return;
    if (!this.#idle) {
      this.#nudged = true; // a pass is under way: go again right after it
      return;
    }
    clearTimeout(this.#timer);
    this.#idle = false;
    void this.#loop();
  }

  async #loop(): Promise<void> {
    if (this.#stopped) return;
    this.#nudged = false;
    let delivered = 0;
    this.#running = this.poll().then(
      (count) => void (delivered = count),
      (error: Error) => this.#options.onError?.(error),
    );
    await this.#running;
    if (this.#stopped) return;
    const busy = delivered > 0 || this.#nudged;
    this.#idle = !busy;
    this.#timer = setTimeout(
      () => {
        this.#idle = false;
        void this.#loop();
      },
      busy ? 0 : (this.#options.intervalMs ?? 25),
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    this.#client.destroy();
  }

  /** The saved position of each shard: the sequence number of the last record handled. */
  checkpoints(): Readonly<Record<string, string>> {
    return { ...this.#checkpoints };
  }

  /** One pass over every shard; answers how many records the handler accepted. */
  async poll(): Promise<number> {
    await this.#refreshShards();
    let delivered = 0;
    for (const shardId of this.#shards) {
      if (this.#stopped) break;
      const iterator = this.#iterators.has(shardId) ? this.#iterators.get(shardId) : await this.#iteratorFromCheckpoint(shardId);
      if (!iterator) continue;
      const out = await this.#client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: this.#options.batchSize ?? 100 }),
      );
      this.#iterators.set(shardId, out.NextShardIterator ?? null);
      const records = (out.Records ?? []).map((r) => this.#toLambdaRecord(r));
      if (records.length === 0) continue;
      const wanted = records.filter((r) => matchesPattern(this.#options.filter, r));
      if (wanted.length > 0) {
        const handled = await this.#deliver(shardId, wanted);
        delivered += handled.accepted;
        if (!handled.done) {
          // Read again from the checkpoint on the next pass.
          this.#iterators.delete(shardId);
          continue;
        }
      }
      this.#checkpoint(shardId, records.at(-1)?.dynamodb?.SequenceNumber);
    }
    return delivered;
  }

  /**
   * Hands `records` to the handler until it accepts them all, checkpointing the accepted
   * prefix after each answer. `done`: the batch is handled (accepted or parked); false when
   * it must be read again (parking failed, or the poller stopped between attempts).
   */
  async #deliver(shardId: string, records: DynamoDBRecord[]): Promise<{ done: boolean; accepted: number }> {
    let batch = records;
    let accepted = 0;
    const attempts = this.#options.maxAttempts ?? 11;
    for (let attempt = 1; ; attempt++) {
      let failedFrom: string | undefined;
      let functionError: StreamFailureRecord['responseContext']['functionError'] = 'BatchItemFailures';
      try {
        const out = await this.#options.handler({ Records: batch });
        // Lambda resumes from the lowest sequence number reported.
        const failed = new Set((out?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        if (failed.size > 0)
          failedFrom = batch.find((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''))?.dynamodb?.SequenceNumber ?? '';
      } catch (error) {
        failedFrom = batch[0]?.dynamodb?.SequenceNumber ?? '';
        functionError = 'Unhandled';
        this.#options.onError?.(error as Error);
      }
      if (failedFrom === undefined) return { done: true, accepted: accepted + batch.length };
      // An identifier that names no record of the batch fails the whole batch, as in Lambda.
      const index = Math.max(
        batch.findIndex((r) => r.dynamodb?.SequenceNumber === failedFrom),
        0,
      );
      if (index > 0) {
        this.#checkpoint(shardId, batch[index - 1]!.dynamodb?.SequenceNumber);
        accepted += index;
      }
      batch = batch.slice(index);
      if (attempt >= attempts) return { done: await this.#park(shardId, batch, attempt, functionError), accepted };
      if (this.#stopped) return { done: false, accepted };
      await sleep(Math.min((this.#options.retryDelayMs ?? 100) * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS));
    }
  }

  /** Sends the failed records' pointer to the on-failure destination; true when the shard may move on. */
  async #park(
    shardId: string,
    batch: DynamoDBRecord[],
    attempts: number,
    functionError: StreamFailureRecord['responseContext']['functionError'],
  ): Promise<boolean> {
    const first = batch[0]?.dynamodb;
    const last = batch.at(-1)?.dynamodb;
    const what = `stream records ${first?.SequenceNumber}..${last?.SequenceNumber} failed ${attempts} times`;
    if (!this.#options.onFailure) {
      this.#options.onError?.(new Error(`${what} and were skipped`));
      return true;
    }
    const arrival = (seconds: number | undefined) => new Date((seconds ?? 0) * 1000).toISOString();
    try {
      await this.#options.onFailure({
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: {
          requestId: randomUUID(),
          functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:outbox-publisher',
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: attempts,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError },
        DDBStreamBatchInfo: {
          shardId,
          startSequenceNumber: first?.SequenceNumber ?? '',
          endSequenceNumber: last?.SequenceNumber ?? '',
          approximateArrivalOfFirstRecord: arrival(first?.ApproximateCreationDateTime),
          approximateArrivalOfLastRecord: arrival(last?.ApproximateCreationDateTime),
          batchSize: batch.length,
          streamArn: this.#options.streamArn,
        },
      });
    } catch (error) {
      this.#options.onError?.(new Error(`${what}; parking them failed: ${(error as Error).message}`));
      return false;
    }
    this.#options.onError?.(new Error(`${what} and were sent to the on-failure destination`));
    return true;
  }

  async #refreshShards(): Promise<void> {
    if (Date.now() - this.#lastDescribe < 2_000 && this.#shards.size > 0) return;
    this.#lastDescribe = Date.now();
    const out = await this.#client.send(new DescribeStreamCommand({ StreamArn: this.#options.streamArn }));
    for (const shard of out.StreamDescription?.Shards ?? []) if (shard.ShardId) this.#shards.add(shard.ShardId);
  }

  async #iteratorFromCheckpoint(shardId: string): Promise<string | null> {
    const after = this.#checkpoints[shardId];
    const it = await this.#client.send(
      new GetShardIteratorCommand({
        StreamArn: this.#options.streamArn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    this.#iterators.set(shardId, it.ShardIterator ?? null);
    return it.ShardIterator ?? null;
  }

  #checkpoint(shardId: string, sequence: string | undefined): void {
    if (!sequence) return;
    this.#checkpoints[shardId] = sequence;
    const file = this.#options.checkpointFile;
    if (!file) return;
    // Write then rename: a kill leaves the old file or the new one, never half of one.
    writeFileSync(`${file}.tmp`, JSON.stringify(this.#checkpoints));
    renameSync(`${file}.tmp`, file);
  }

  /** GetRecords' shape → the shape Lambda hands to a stream handler. */
  #toLambdaRecord(record: StreamRecord): DynamoDBRecord {
    const d = record.dynamodb;
    const created = d?.ApproximateCreationDateTime;
    return {
      eventID: record.eventID,
      eventName: record.eventName as DynamoDBRecord['eventName'],
      eventVersion: record.eventVersion,
      eventSource: 'aws:dynamodb',
      awsRegion: record.awsRegion,
      eventSourceARN: this.#options.streamArn,
      dynamodb: {
        ApproximateCreationDateTime: created ? Math.floor(new Date(created).getTime() / 1000) : undefined,
        Keys: d?.Keys as NonNullable<DynamoDBRecord['dynamodb']>['Keys'],
        NewImage: d?.NewImage as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
        OldImage: d?.OldImage as NonNullable<DynamoDBRecord['dynamodb']>['OldImage'],
        SequenceNumber: d?.SequenceNumber,
        SizeBytes: d?.SizeBytes,
        StreamViewType: d?.StreamViewType as NonNullable<DynamoDBRecord['dynamodb']>['StreamViewType'],
      },
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
