import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { matchesPattern, type EventPattern } from './eventbridge/pattern-matcher.ts';

// Stands in for Lambda's event source mapping on the table stream: polls DynamoDB Local's
// stream, applies the same filter pattern, hands batches to the real handler in Lambda's
// event shape, retries from the first failed record, and checkpoints per shard in the data
// folder so a restart neither loses nor replays events.

export interface StreamPollerOptions {
  endpoint: string;
  streamArn: string;
  filter: EventPattern;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  /** Where shard positions are kept; none keeps them in memory. */
  checkpointFile?: string;
  intervalMs?: number;
  batchSize?: number;
  maxAttempts?: number;
  onError?: (error: Error) => void;
}

export class StreamPoller {
  readonly #client: DynamoDBStreamsClient;
  readonly #options: StreamPollerOptions;
  readonly #iterators = new Map<string, string | null>();
  #checkpoints: Record<string, string> = {};
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #lastDescribe = 0;

  constructor(options: StreamPollerOptions) {
    this.#options = options;
    this.#client = new DynamoDBStreamsClient({
      endpoint: options.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    if (options.checkpointFile && existsSync(options.checkpointFile)) {
      this.#checkpoints = JSON.parse(readFileSync(options.checkpointFile, 'utf8')) as Record<string, string>;
    }
  }

  start(): void {
    const loop = async () => {
      if (this.#stopped) return;
      this.#running = this.poll().then(
        () => undefined,
        (error: Error) => this.#options.onError?.(error),
      );
      await this.#running;
      if (!this.#stopped) this.#timer = setTimeout(loop, this.#options.intervalMs ?? 50);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    this.#client.destroy();
  }

  /** One pass over every shard; answers how many records were handed to the handler. */
  async poll(): Promise<number> {
    await this.#refreshShards();
    let delivered = 0;
    for (const [shardId, iterator] of this.#iterators) {
      if (!iterator) continue;
      const out = await this.#client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: this.#options.batchSize ?? 100 }),
      );
      this.#iterators.set(shardId, out.NextShardIterator ?? null);
      const records = (out.Records ?? []).map((r) => this.#toLambdaRecord(r));
      if (records.length === 0) continue;
      const wanted = records.filter((r) => matchesPattern(this.#options.filter, r));
      if (wanted.length > 0) {
        await this.#deliver(wanted);
        delivered += wanted.length;
      }
      this.#checkpoint(shardId, records.at(-1)?.dynamodb?.SequenceNumber);
    }
    return delivered;
  }

  async #deliver(records: DynamoDBRecord[]): Promise<void> {
    let batch = records;
    const attempts = this.#options.maxAttempts ?? 3;
    for (let attempt = 1; batch.length > 0; attempt++) {
      let failedFrom: string | undefined;
      try {
        const out = await this.#options.handler({ Records: batch });
        failedFrom = out?.batchItemFailures?.[0]?.itemIdentifier;
      } catch (error) {
        failedFrom = batch[0]?.dynamodb?.SequenceNumber;
        this.#options.onError?.(error as Error);
      }
      if (failedFrom === undefined) return;
      const index = batch.findIndex((r) => r.dynamodb?.SequenceNumber === failedFrom);
      batch = batch.slice(Math.max(index, 0));
      if (attempt >= attempts) {
        // Lambda would send these to the on-failure destination; locally we say so loudly.
        this.#options.onError?.(new Error(`stream records from ${failedFrom} failed ${attempts} times and were skipped`));
        return;
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }

  async #refreshShards(): Promise<void> {
    if (Date.now() - this.#lastDescribe < 2_000 && this.#iterators.size > 0) return;
    this.#lastDescribe = Date.now();
    const out = await this.#client.send(new DescribeStreamCommand({ StreamArn: this.#options.streamArn }));
    for (const shard of out.StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId;
      if (!shardId || this.#iterators.has(shardId)) continue;
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
    }
  }

  #checkpoint(shardId: string, sequence: string | undefined): void {
    if (!sequence) return;
    this.#checkpoints[shardId] = sequence;
    const file = this.#options.checkpointFile;
    if (!file) return;
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
