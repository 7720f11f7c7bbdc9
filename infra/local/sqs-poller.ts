import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

// Lambda's SQS event source mapping on a laptop: `concurrency` pollers (the mapping's maximum
// concurrency) long-poll the queue with the function's own credentials (as the mapping uses
// its role), hand each batch to the function as an SQSEvent, and delete what it did not report
// as failed (partial batch response). A failed message stays hidden for the queue's visibility
// timeout, then comes back; past maxReceiveCount the queue itself moves it to its DLQ.

export interface SqsPollerOptions {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  concurrency: number;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;
  onError?: (error: Error) => void;
}

export class SqsPoller {
  readonly #options: SqsPollerOptions;
  readonly #client: SQSClient;
  #running = false;
  readonly #loops: Promise<void>[] = [];
  #inFlight = 0;
  #idle: (() => void)[] = [];

  constructor(options: SqsPollerOptions) {
    this.#options = options;
    this.#client = new SQSClient({ endpoint: options.endpoint, region: options.region, credentials: options.credentials });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (let i = 0; i < this.#options.concurrency; i++) this.#loops.push(this.#loop());
  }

  /** Resolves when no batch is being handled (tests settle on it). */
  idle(): Promise<void> {
    return this.#inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    this.#client.destroy();
  }

  async #loop(): Promise<void> {
    const o = this.#options;
    while (this.#running) {
      try {
        const out = await this.#client.send(
          new ReceiveMessageCommand({
            QueueUrl: o.queueUrl,
            MaxNumberOfMessages: o.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = out.Messages ?? [];
        if (messages.length === 0 || !this.#running) continue;
        this.#inFlight++;
        try {
          const records: SQSRecord[] = messages.map((m) => ({
            messageId: m.MessageId!,
            receiptHandle: m.ReceiptHandle!,
            body: m.Body ?? '',
            attributes: m.Attributes as unknown as SQSRecord['attributes'],
            messageAttributes: {},
            md5OfBody: m.MD5OfBody ?? '',
            eventSource: 'aws:sqs',
            eventSourceARN: o.queueArn,
            awsRegion: o.region,
          }));
          let failed = new Set(records.map((r) => r.messageId));
          try {
            const answer = await o.handler({ Records: records });
            failed = new Set((answer?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
          } catch (error) {
            o.onError?.(error as Error);
          }
          const done = messages.filter((m) => !failed.has(m.MessageId!));
          if (done.length > 0) {
            await this.#client.send(
              new DeleteMessageBatchCommand({
                QueueUrl: o.queueUrl,
                Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
              }),
            );
          }
        } finally {
          this.#inFlight--;
          if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
        }
      } catch (error) {
        if (!this.#running) return;
        o.onError?.(error as Error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}
