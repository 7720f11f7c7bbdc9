import { join } from 'node:path';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';

// The local SQS: fauxqs (an SQS/SNS/S3 emulator from npm speaking the JSON and query
// protocols the AWS SDK uses), kept in SQLite under the data folder so on-failure queues
// survive a restart. Our own code talks to it only through the real @aws-sdk/client-sqs.
// The same server is the local S3 (infra/local/s3.ts); its objects are files under <data>/s3/.

export interface LocalSqs {
  /** http://127.0.0.1:<port>: AWS_ENDPOINT_URL_SQS for SDK clients (and, behind its gate, S3's). */
  endpoint: string;
  region: string;
  /** A real SQS client pointed at the emulator. */
  client: SQSClient;
  /** The URL of queue `name`, created on first use (CreateQueue is idempotent). */
  queueUrl(name: string): Promise<string>;
  /** SendMessage to queue `name` (created on first use); resolves once the emulator stored it. */
  send(name: string, body: string): Promise<void>;
  stop(): Promise<void>;
}

/** Local credentials: the emulator checks none, the SDK wants some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** An SQS client for a local endpoint (the CLI and the tests use the same). */
export function localSqsClient(endpoint: string, region: string): SQSClient {
  return new SQSClient({ endpoint, region, credentials: LOCAL_CREDENTIALS });
}

/**
 * Starts the emulator on 127.0.0.1 (`port` 0: a free one). With `dataDir`, queues and messages
 * live in `<dataDir>/sqs/` (written through on every call); without it, in memory.
 */
export async function startLocalSqs(options: { dataDir?: string; region: string; port?: number }): Promise<LocalSqs> {
  const server = await startFauxqs({
    port: options.port ?? 0,
    logger: false,
    host: 'localhost',
    defaultRegion: options.region,
    ...(options.dataDir ? { dataDir: join(options.dataDir, 'sqs'), s3StorageDir: join(options.dataDir, 's3') } : {}),
  });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const client = localSqsClient(endpoint, options.region);
  const urls = new Map<string, Promise<string>>();
  const queueUrl = (name: string): Promise<string> => {
    let url = urls.get(name);
    if (!url) {
      url = client.send(new CreateQueueCommand({ QueueName: name })).then((out) => out.QueueUrl!);
      url.catch(() => urls.delete(name));
      urls.set(name, url);
    }
    return url;
  };
  return {
    endpoint,
    region: options.region,
    client,
    queueUrl,
    async send(name, body) {
      await client.send(new SendMessageCommand({ QueueUrl: await queueUrl(name), MessageBody: body }));
    },
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}
