import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { PutEventsEntry } from './eventbridge/local-bus.ts';
import { ADMIN_CREDENTIAL_VARIABLES, LOCAL_ACCOUNT_ID } from './environment.ts';
import type { ForwardedRequest } from './iam/gate.ts';

// The local S3: fauxqs (the same npm emulator as the local SQS, which speaks S3's REST XML
// protocol on the same port, presigned URLs included) behind the S3 IAM gate. What fauxqs does
// not do, the local cloud does here: it creates the files bucket, and after each object the
// gate let through it puts S3's "Object Created" event (the shape S3 sends to EventBridge) on
// the local bus, as the bucket's EventBridge notifications do in AWS.

/** An S3 client for a local endpoint (path-style: the endpoint is an IP address). */
export function localS3Client(endpoint: string, region: string): S3Client {
  return new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: ADMIN_CREDENTIAL_VARIABLES.AWS_ACCESS_KEY_ID,
      secretAccessKey: ADMIN_CREDENTIAL_VARIABLES.AWS_SECRET_ACCESS_KEY,
    },
  });
}

/** Creates the bucket unless it exists (the stateful stack creates it in AWS). */
export async function ensureLocalBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
}

/** The operation S3 names in an Object Created event's `reason`, or undefined for a request that creates no object. */
export function objectCreatedReason(
  request: Pick<ForwardedRequest, 'method' | 'url' | 'headers' | 'status'>,
): string | undefined {
  if (request.status !== 200) return undefined;
  const query = new URL(request.url, 'http://local').searchParams;
  if (request.method === 'PUT') {
    if (query.has('uploadId') || query.has('partNumber')) return undefined; // a part, not an object
    return request.headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
  }
  if (request.method === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload';
  return undefined;
}

/** bucket and key of a path-style object URL. */
function objectOf(url: string): { bucket: string; key: string } | undefined {
  const [bucket, ...rest] = new URL(url, 'http://local').pathname.split('/').slice(1);
  let key: string;
  try {
    key = rest.map((part) => decodeURIComponent(part)).join('/');
  } catch {
    return undefined; // a malformed escape names no object
  }
  return bucket && key ? { bucket, key } : undefined;
}

/**
 * The EventBridge entry S3 puts on the default bus for a new object:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html ("Object Created").
 */
export function objectCreatedEntry(options: {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  reason: string;
  requester?: string;
}): PutEventsEntry {
  return {
    Source: 'aws.s3',
    DetailType: 'Object Created',
    Resources: [`arn:aws:s3:::${options.bucket}`],
    Detail: JSON.stringify({
      version: '0',
      bucket: { name: options.bucket },
      object: { key: options.key, size: options.size, etag: options.etag.replace(/"/g, ''), sequencer: sequencer() },
      'request-id': randomUUID(),
      requester: options.requester ?? LOCAL_ACCOUNT_ID,
      'source-ip-address': '127.0.0.1',
      reason: options.reason,
    }),
  };
}

let sequence = 0;
const sequencer = () => `${Date.now().toString(16).toUpperCase()}${(sequence++).toString(16).padStart(4, '0')}`;

/**
 * What the S3 gate calls after each request it let through: for a new object in one of
 * `buckets`, reads its size and ETag (HeadObject on the emulator) and puts Object Created on
 * the bus. Errors go to `onError` (the upload itself already succeeded).
 */
export function objectCreatedNotifier(options: {
  client: S3Client;
  buckets: ReadonlySet<string>;
  put: (entries: PutEventsEntry[]) => unknown;
  onError: (error: Error) => void;
}): (request: ForwardedRequest) => void {
  return (request) => {
    const reason = objectCreatedReason(request);
    const object = reason ? objectOf(request.url) : undefined;
    if (!reason || !object || !options.buckets.has(object.bucket)) return;
    options.client
      .send(new HeadObjectCommand({ Bucket: object.bucket, Key: object.key }))
      .then((head) =>
        options.put([objectCreatedEntry({ ...object, reason, size: head.ContentLength ?? 0, etag: head.ETag ?? '' })]),
      )
      .catch((error: Error) => options.onError(error));
  };
}
