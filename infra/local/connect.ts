import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { arn, type AwsScope } from './iam/arns.ts';

// A loopback stand-in for the one Amazon Connect call the CRM makes: DescribeContact, on the
// wire as the SDK sends it (REST JSON: GET /contacts/{InstanceId}/{ContactId}), answering the
// contacts a test or developer seeded. Behind the local IAM gate like every local endpoint, so
// a function without connect:DescribeContact on the contact gets AccessDenied first.
// https://docs.aws.amazon.com/connect/latest/APIReference/API_DescribeContact.html

/** The local cloud's Connect instance id (a fixed UUID, as Connect gives instances). */
export const LOCAL_CONNECT_INSTANCE_ID = 'c0ffee00-0000-4000-8000-00000000c0de';

/** The local instance's ARN in the local account and `region` (what a test config names as connect.instance_arn). */
export function localConnectInstanceArn(scope: AwsScope): string {
  return arn(scope, 'connect', `instance/${LOCAL_CONNECT_INSTANCE_ID}`);
}

export interface LocalConnect {
  readonly endpoint: string;
  /**
   * Makes DescribeContact answer `answer` (its JSON body: `{ Contact: {...} }`, timestamps in
   * epoch seconds) for that contact of that instance.
   */
  seed(instanceId: string, contactId: string, answer: unknown): void;
  /** The DescribeContact requests answered, in order. */
  readonly requests: readonly { instanceId: string; contactId: string }[];
  stop(): Promise<void>;
}

/** Starts the stand-in on loopback (`port` 0: a free one). */
export async function startLocalConnect(options: { port?: number } = {}): Promise<LocalConnect> {
  const contacts = new Map<string, string>();
  const requests: { instanceId: string; contactId: string }[] = [];
  const key = (instanceId: string, contactId: string) => `${instanceId}/${contactId}`;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://local').pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const error = (status: number, type: string, message: string) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
        res.end(JSON.stringify({ Message: message }));
      };
      if (req.method !== 'GET' || path.length !== 3 || path[0] !== 'contacts') {
        error(400, 'InvalidRequestException', `the local Connect answers DescribeContact only, not ${req.method} ${req.url}`);
        return;
      }
      const [, instanceId, contactId] = path as [string, string, string];
      requests.push({ instanceId, contactId });
      const answer = contacts.get(key(instanceId, contactId));
      if (answer === undefined) {
        error(404, 'ResourceNotFoundException', 'The specified resource was not found.');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seed: (instanceId, contactId, answer) => void contacts.set(key(instanceId, contactId), JSON.stringify(answer)),
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
