import { randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsScope } from './arns.ts';
import { evaluate, type Decision } from './policy.ts';
import {
  describeRequest,
  protocolOf,
  signedCredential,
  UnsupportedRequestError,
  type Access,
  type AwsService,
  type DescribedRequest,
  type WireProtocol,
} from './requests.ts';
import type { FunctionPolicy } from './template-policies.ts';

// A loopback proxy in front of one local AWS endpoint (DynamoDB Local, the local bus, the
// Scheduler emulator, SES local...) that enforces each function's IAM policy, so a missing grant
// fails on a laptop with the error AWS would give. The caller's identity is the access key id
// of its SigV4 signature: each function signs with its own key (functionAccessKeyId).
// Allowed requests go upstream byte for byte and the answer streams back; denied ones get the
// service's AccessDenied answer. Request bodies are read whole first, because the resources
// are in them (a DynamoDB request's TableName).

/**
 * The access key id function `name` signs with: "local" and its name in PascalCase, e.g.
 * "localOutboxPublisher". Letters and digits only, because DynamoDB Local refuses any other
 * access key id (UnrecognizedClientException) even without a gate in front of it.
 */
export function functionAccessKeyId(name: string): string {
  return `local${name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}`;
}

/**
 * The local cloud's own key (table creation, seeding, test fixtures): requests signed with it
 * pass unchecked. Every other key that names no function is refused as AWS refuses an unknown
 * key, so an unassigned credential cannot slip through. (No function's key is all lower case.)
 */
export const LOCAL_ADMIN_ACCESS_KEY_ID = 'localadmin';

export interface IamGateOptions {
  /** The service this gate fronts; requests signed for another are refused (a misrouted endpoint). */
  readonly service: AwsService;
  /** The endpoint behind the gate, e.g. DynamoDB Local's "http://127.0.0.1:8000". */
  readonly upstream: string;
  /** The local account and default region (resources are in the region a request is signed for). */
  readonly scope: AwsScope;
  /** Function policies by registry name; a function is looked up per request, so edits apply at once. */
  readonly policies: ReadonlyMap<string, FunctionPolicy>;
  /** Keys that pass unchecked; default [LOCAL_ADMIN_ACCESS_KEY_ID]. */
  readonly adminAccessKeyIds?: readonly string[];
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Every decision, allowed or not (logs, tests). */
  readonly onDecision?: (decision: GateDecision) => void;
  /** Requests refused for want of a mapping or of a known key; default writes to stderr. */
  readonly onRefusal?: (message: string) => void;
  /** Each request let through, once the service answered it (its status). */
  readonly onForwarded?: (request: ForwardedRequest) => void;
  /** The clock presigned URLs expire by (tests); default Date.now. */
  readonly now?: () => number;
  /**
   * Browser origins the service answers CORS for (the files bucket's CORS rule: S3 answers
   * preflights itself, unsigned; the emulator does not).
   */
  readonly corsOrigins?: readonly string[];
}

/** A request the gate let through, with the service's answer status. */
export interface ForwardedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly status: number;
  /** The access key id it was signed with. */
  readonly accessKeyId: string;
}

export interface GateDecision {
  readonly function: string;
  readonly request: DescribedRequest;
  /** The first access that was not allowed, with its decision; undefined when all were allowed. */
  readonly denied?: { readonly access: Access; readonly decision: Exclude<Decision, { effect: 'allow' }> };
}

export interface IamGate {
  readonly endpoint: string;
  readonly port: number;
  readonly server: Server;
  stop(): Promise<void>;
}

/** Starts a gate on 127.0.0.1. */
export async function startIamGate(options: IamGateOptions): Promise<IamGate> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true });
  const admins = new Set(options.adminAccessKeyIds ?? [LOCAL_ADMIN_ACCESS_KEY_ID]);
  const keys = [...options.policies.keys()].map(functionAccessKeyId);
  const clash = keys.find((key, i) => keys.indexOf(key) !== i || admins.has(key));
  if (clash) throw new Error(`two identities share the access key id ${clash}: rename a function`);
  const refusal = options.onRefusal ?? ((message: string) => console.error(`[iam-gate ${options.service}] ${message}`));

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      refusal(`gate failure: ${error.stack ?? error.message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    if (origin && options.corsOrigins?.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-expose-headers', 'etag');
      if (req.method === 'OPTIONS') {
        res.writeHead(200, {
          'access-control-allow-methods': 'GET, PUT',
          'access-control-allow-headers': 'content-type, content-length',
          'access-control-max-age': '3600',
        });
        return void res.end();
      }
    }
    const body = await readBody(req);
    const wire = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body };
    const protocol = protocolOf(options.service, wire);
    const credential = signedCredential(wire);
    if (!credential) {
      refusal(`${req.method} ${req.url}: unsigned request refused`);
      return answer(res, errorAnswer(options.service, protocol, 'MissingAuthenticationToken', 'Missing Authentication Token'));
    }
    if (credential.service !== options.service) {
      const message = `a request signed for ${credential.service} reached the ${options.service} gate (check the AWS_ENDPOINT_URL_* variables)`;
      refusal(message);
      return answer(res, errorAnswer(options.service, protocol, 'InvalidSignatureException', message));
    }
    // A presigned URL past its X-Amz-Expires is refused before anything else, as AWS does.
    const expired = presignExpired(wire.url, options.now?.() ?? Date.now());
    if (expired) {
      refusal(`${req.method} ${new URL(wire.url, 'http://local').pathname}: presigned URL expired at ${expired}`);
      return answer(res, errorAnswer(options.service, protocol, 'AccessDenied', 'Request has expired'));
    }
    if (admins.has(credential.accessKeyId)) return forward(req, body, res, credential.accessKeyId);

    const policy = [...options.policies.values()].find((p) => functionAccessKeyId(p.name) === credential.accessKeyId);
    if (!policy) {
      refusal(`access key ${credential.accessKeyId} names no function and is no admin key: refused`);
      return answer(
        res,
        errorAnswer(options.service, protocol, 'UnrecognizedClient', 'The security token included in the request is invalid.'),
      );
    }

    let described: DescribedRequest;
    try {
      described = describeRequest(options.service, wire, options.scope);
    } catch (error) {
      if (!(error instanceof UnsupportedRequestError)) throw error;
      const message = `${error.message}: the local IAM gate refuses calls it cannot authorize; map them in infra/local/iam/requests.ts`;
      refusal(`${policy.name}: ${message}`);
      return answer(res, errorAnswer(options.service, protocol, 'UnmappedOperation', message));
    }
    // Who calls: a Lambda function's role session (the global keys AWS sets for it).
    const principal = {
      'aws:PrincipalArn': policy.roleArn,
      'aws:PrincipalAccount': options.scope.accountId,
      'aws:PrincipalType': 'AssumedRole',
    };
    for (const access of described.accesses) {
      let decision = evaluate(policy.statements, { ...access, context: { ...principal, ...access.context } });
      if (decision.effect !== 'allow' && access.orResource) {
        const other = evaluate(policy.statements, {
          ...access,
          resource: access.orResource,
          context: { ...principal, ...access.context },
        });
        if (other.effect === 'allow') decision = other;
      }
      if (decision.effect !== 'allow') {
        options.onDecision?.({ function: policy.name, request: described, denied: { access, decision } });
        return answer(res, accessDenied(described, policy.principalArn, access, decision.effect));
      }
    }
    options.onDecision?.({ function: policy.name, request: described });
    forward(req, body, res, credential.accessKeyId);
  }

  function forward(req: IncomingMessage, body: Buffer, res: ServerResponse, accessKeyId: string): void {
    const out = httpRequest(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.rawHeaders,
        agent,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, upstreamRes.rawHeaders);
        upstreamRes.pipe(res);
        if (options.onForwarded) {
          const status = upstreamRes.statusCode ?? 502;
          const forwarded = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, status, accessKeyId };
          // After the answer is sent: a PUT is visible to a GET by then.
          res.once('finish', () => options.onForwarded!(forwarded));
        }
      },
    );
    out.on('error', (error) => {
      refusal(`upstream ${options.upstream}: ${error.message}`);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`iam gate: upstream ${options.upstream} failed: ${error.message}`);
    });
    out.end(body);
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}

/**
 * When a presigned URL (X-Amz-Date + X-Amz-Expires in its query) expired before `now` (ms):
 * the ISO instant it expired; undefined for an unexpired or unsigned-by-query request.
 */
export function presignExpired(url: string, now: number): string | undefined {
  const query = new URL(url, 'http://local').searchParams;
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') ?? '');
  const expires = Number(query.get('X-Amz-Expires'));
  if (!date || !Number.isFinite(expires) || expires <= 0) return undefined;
  const [, y, mo, d, h, mi, se] = date.map(Number) as [number, number, number, number, number, number, number];
  const end = Date.UTC(y, mo - 1, d, h, mi, se) + expires * 1000;
  return now > end ? new Date(end).toISOString() : undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// ---- Error answers in each protocol's shape -------------------------------------------------------

/** A complete HTTP answer. */
export interface ErrorAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

function answer(res: ServerResponse, error: ErrorAnswer): void {
  res.writeHead(error.status, { ...error.headers, 'content-length': String(Buffer.byteLength(error.body)) });
  res.end(error.body);
}

/**
 * The AccessDenied answer AWS gives for `access`, in the request's protocol, with AWS's message:
 * "User: <principal> is not authorized to perform: <action> on resource: <resource> because no
 * identity-based policy allows the <action> action" (or "with an explicit deny in an
 * identity-based policy").
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
export function accessDenied(
  request: Pick<DescribedRequest, 'service' | 'protocol'>,
  principalArn: string,
  access: Access,
  effect: 'explicit-deny' | 'implicit-deny',
): ErrorAnswer {
  const resource = access.named ?? access.resource;
  // SQS names the action in lower case in its messages.
  const action = request.service === 'sqs' ? access.action.toLowerCase() : access.action;
  const reason =
    effect === 'explicit-deny'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${action} action`;
  const message =
    request.service === 'ses' && request.protocol === 'query'
      ? `User \`${principalArn}' is not authorized to perform \`${action}' on resource \`${resource}'`
      : `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} ${reason}`;
  return errorAnswer(request.service, request.protocol, 'AccessDenied', message);
}

type ErrorKind =
  'AccessDenied' | 'UnrecognizedClient' | 'MissingAuthenticationToken' | 'InvalidSignatureException' | 'UnmappedOperation';

/**
 * An error in the shape each protocol's SDK parses: JSON 1.0/1.1 `{"__type", "Message"}` (400;
 * SQS answers 403 with an x-amzn-query-error header carrying the Query error code), REST JSON
 * with x-amzn-ErrorType (403), Query XML `<ErrorResponse>` (403).
 */
export function errorAnswer(service: AwsService, protocol: WireProtocol, kind: ErrorKind, message: string): ErrorAnswer {
  const requestId = randomUUID();
  const jsonType = {
    AccessDenied: 'AccessDeniedException',
    UnrecognizedClient: 'UnrecognizedClientException',
    MissingAuthenticationToken: 'MissingAuthenticationTokenException',
    InvalidSignatureException: 'InvalidSignatureException',
    UnmappedOperation: 'UnmappedOperationException',
  }[kind];
  const queryCode = {
    AccessDenied: 'AccessDenied',
    UnrecognizedClient: 'InvalidClientTokenId',
    MissingAuthenticationToken: 'MissingAuthenticationToken',
    InvalidSignatureException: 'SignatureDoesNotMatch',
    UnmappedOperation: 'UnmappedOperation',
  }[kind];
  switch (protocol) {
    case 'json-1.0':
    case 'json-1.1': {
      const type = protocol === 'json-1.0' ? `com.amazon.coral.service#${jsonType}` : jsonType;
      const sqs = service === 'sqs';
      return {
        status: sqs && kind !== 'UnmappedOperation' ? 403 : 400,
        headers: {
          'content-type': `application/x-amz-json-${protocol === 'json-1.0' ? '1.0' : '1.1'}`,
          'x-amzn-requestid': requestId,
          ...(sqs ? { 'x-amzn-query-error': `${queryCode};Sender` } : {}),
        },
        body: JSON.stringify({ __type: type, Message: message }),
      };
    }
    case 'rest-json':
      return {
        status: kind === 'UnmappedOperation' ? 400 : 403,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': jsonType, 'x-amzn-requestid': requestId },
        body: JSON.stringify({ Message: message }),
      };
    case 'rest-xml':
      // S3's error document; S3 says AccessDenied for a missing signature or unknown key too.
      return {
        status: kind === 'UnmappedOperation' ? 400 : 403,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body:
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${kind === 'UnmappedOperation' ? 'UnmappedOperation' : kind === 'UnrecognizedClient' ? 'InvalidAccessKeyId' : kind === 'InvalidSignatureException' ? 'SignatureDoesNotMatch' : 'AccessDenied'}</Code>` +
          `<Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
      };
    case 'query': {
      const namespace =
        service === 'sqs' ? 'http://queue.amazonaws.com/doc/2012-11-05/' : 'http://ses.amazonaws.com/doc/2010-12-01/';
      return {
        status: kind === 'UnmappedOperation' ? 400 : 403,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body:
          `<ErrorResponse xmlns="${namespace}"><Error><Type>Sender</Type><Code>${queryCode}</Code>` +
          `<Message>${escapeXml(message)}</Message>${service === 'sqs' ? '<Detail/>' : ''}</Error>` +
          `<RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    }
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}
