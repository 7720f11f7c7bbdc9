import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

// SES on a laptop, in front of aws-ses-v2-local (the mail viewer: sends, templates, GET /store):
// this small server answers the SES v2 calls the emulator does not know, on the service's REST
// wire protocol, so the functions' real @aws-sdk/client-sesv2 runs unchanged, and forwards
// everything else to the emulator. Served here: GetAccount (the sending quota the mail-sender
// paces itself to) and the account-level suppression list (Put/Get/Delete/List
// SuppressedDestination[s]), and SES inbound's receipt rule (POST /_local/inbound with an .eml
// stores it in the files bucket under inbound/, whose Object Created event takes the path the
// deployed one takes). Kept small on purpose: the e-mail issue adds tracking and SES
// events (Send, Delivery, Open...) here, where every send already passes.

/** One address on the account's suppression list. */
export interface LocalSuppression {
  EmailAddress: string;
  Reason: 'BOUNCE' | 'COMPLAINT';
  /** Epoch seconds, as the SDK reads SES timestamps. */
  LastUpdateTime: number;
}

export interface LocalSesOptions {
  /** The emulator's base URL (aws-ses-v2-local), which gets every call not served here. */
  upstream: string;
  /** The account's MaxSendRate (messages per second) that GetAccount reports; default 14 (a production account's first quota). */
  maxSendRate?: number;
  /** Max24HourSend that GetAccount reports; default 50,000. */
  max24HourSend?: number;
  /** Where the suppression list is kept between runs (JSON); none keeps it in memory. */
  file?: string;
  /**
   * SES inbound's receipt rule: `POST /_local/inbound` with a message (.eml bytes) stores it
   * where the rule would (the files bucket under inbound/); answers the object's key.
   */
  receive?: (eml: Buffer) => Promise<string>;
  port?: number;
}

export interface LocalSes {
  /** The SDK endpoint (AWS_ENDPOINT_URL_SES and _SESV2); also serves the viewer's GET /store. */
  endpoint: string;
  /** The account's MaxSendRate now (tests change it). */
  maxSendRate: number;
  /** Sends forwarded to the emulator since start (v1 and v2). */
  readonly sends: number;
  stop(): Promise<void>;
}

const SUPPRESSION_PATH = '/v2/email/suppression/addresses';
/** Local only: a received message, as SES inbound's receipt rule would store it. */
export const INBOUND_PATH = '/_local/inbound';

/** Starts the front on 127.0.0.1; the suppression list in `file` (if any) is loaded first. */
export async function startLocalSes(options: LocalSesOptions): Promise<LocalSes> {
  const suppressed = new Map<string, LocalSuppression>();
  if (options.file && existsSync(options.file)) {
    for (const entry of JSON.parse(readFileSync(options.file, 'utf8')) as LocalSuppression[])
      suppressed.set(entry.EmailAddress, entry);
  }
  const save = () => {
    if (!options.file) return;
    mkdirSync(dirname(options.file), { recursive: true });
    writeFileSync(`${options.file}.tmp`, JSON.stringify([...suppressed.values()], null, 2));
    renameSync(`${options.file}.tmp`, options.file);
  };
  let sent24h = 0;
  const state = { maxSendRate: options.maxSendRate ?? 14, sends: 0 };

  const json = (res: ServerResponse, status: number, body: unknown, errorType?: string) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse, address: string) =>
    json(res, 404, { message: `Email address ${address} does not exist on your suppression list.` }, 'NotFoundException');

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    void readBody(req).then(async (body) => {
      if (method === 'POST' && path === INBOUND_PATH) {
        if (!options.receive) return json(res, 404, { message: 'inbound mail is not set up' });
        if (body.length === 0) return json(res, 400, { message: 'POST the message (.eml bytes) as the body' });
        try {
          return json(res, 201, { key: await options.receive(body) });
        } catch (error) {
          return json(res, 500, { message: `could not store the message: ${(error as Error).message}` });
        }
      }
      if (method === 'GET' && path === '/v2/email/account') {
        return json(res, 200, {
          DedicatedIpAutoWarmupEnabled: false,
          EnforcementStatus: 'HEALTHY',
          ProductionAccessEnabled: true,
          SendingEnabled: true,
          SendQuota: { Max24HourSend: options.max24HourSend ?? 50_000, MaxSendRate: state.maxSendRate, SentLast24Hours: sent24h },
          SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
        });
      }
      if (path === SUPPRESSION_PATH && method === 'PUT') {
        const input = JSON.parse(body.toString('utf8') || '{}') as { EmailAddress?: string; Reason?: string };
        if (!input.EmailAddress || (input.Reason !== 'BOUNCE' && input.Reason !== 'COMPLAINT')) {
          return json(res, 400, { message: 'EmailAddress and Reason (BOUNCE or COMPLAINT) are required' }, 'BadRequestException');
        }
        const address = input.EmailAddress.toLowerCase();
        suppressed.set(address, { EmailAddress: address, Reason: input.Reason, LastUpdateTime: Math.floor(Date.now() / 1000) });
        save();
        return json(res, 200, {});
      }
      if (path === SUPPRESSION_PATH && method === 'GET') {
        return json(res, 200, {
          SuppressedDestinationSummaries: [...suppressed.values()].map(({ EmailAddress, Reason, LastUpdateTime }) => ({
            EmailAddress,
            Reason,
            LastUpdateTime,
          })),
        });
      }
      if (path.startsWith(`${SUPPRESSION_PATH}/`)) {
        const address = decodeURIComponent(path.slice(SUPPRESSION_PATH.length + 1)).toLowerCase();
        const entry = suppressed.get(address);
        if (method === 'GET') return entry ? json(res, 200, { SuppressedDestination: entry }) : notFound(res, address);
        if (method === 'DELETE') {
          if (!entry) return notFound(res, address);
          suppressed.delete(address);
          save();
          return json(res, 200, {});
        }
      }
      const sending =
        (method === 'POST' && path === '/v2/email/outbound-emails') ||
        (method === 'POST' && path === '/' && /Action=Send(Raw)?Email/.test(body.toString('utf8')));
      return forward(options.upstream, req, body, res, (status) => {
        if (sending && status < 300) {
          state.sends++;
          sent24h++;
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    get maxSendRate() {
      return state.maxSendRate;
    },
    set maxSendRate(rate: number) {
      state.maxSendRate = rate;
    },
    get sends() {
      return state.sends;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The request as it came (headers, signature and all) to the emulator, and its answer back. */
function forward(
  upstream: string,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  onStatus: (status: number) => void,
): void {
  const target = new URL(req.url ?? '/', upstream);
  const out = httpRequest(
    target,
    { method: req.method, headers: { ...req.headers, host: target.host, 'content-length': String(body.length) } },
    (answer) => {
      const status = answer.statusCode ?? 502;
      onStatus(status);
      res.writeHead(status, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', (error) => {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`the local SES emulator did not answer: ${error.message}`);
  });
  out.end(body);
}
