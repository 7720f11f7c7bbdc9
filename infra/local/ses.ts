import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

// SES on a laptop, in front of aws-ses-v2-local (the mail viewer: sends, templates, GET /store):
// this small server answers the SES v2 calls the emulator does not know, on the service's REST
// wire protocol, so the functions' real @aws-sdk/client-sesv2 runs unchanged, and forwards
// everything else to the emulator. Served here: GetAccount (the sending quota the mail-sender
// paces itself to) and the account-level suppression list (Put/Get/Delete/List
// SuppressedDestination[s]). And what SES does to a v2 SendEmail before the mail leaves: its
// own MessageId, the suppression list (a suppressed recipient gets no mail and a Bounce event,
// subtype OnAccountSuppressionList), the mailbox simulator's bounce@ and complaint@ addresses,
// and, for configuration sets with tracking, the open pixel and link rewriting through this
// server's /t/open and /t/click (a GET is an open or click; a HEAD, as scanners send, is none).
// Each step publishes its `aws.ses` event (Send, Delivery, Bounce, Complaint, Open, Click) in
// the shape a configuration set's EventBridge destination gives it. And SES inbound's receipt
// rule: POST /_local/inbound with an .eml, or an .eml dropped in the inbound folder, stores it
// in the files bucket under inbound/, whose Object Created event takes the path the deployed
// one takes.

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
  /**
   * A folder watched for received mail (with `receive`): each `*.eml` dropped there (settled
   * for INBOUND_SETTLE_MS) is received as if POSTed, then moved to `done/` (or `failed/`,
   * beside a `.error.txt`). Created when missing.
   */
  inboundFolder?: string;
  port?: number;
  /**
   * Configuration sets with an EventBridge event destination and open/click tracking (the
   * stack's one): their sends are tracked and their events published. Others are only sent.
   */
  trackedConfigurationSets?: readonly string[];
  /** Puts SES events on the bus (the local bus stands for default bus + forwarding rule). */
  publish?: (entries: PutEventsEntry[]) => void;
  region?: string;
  accountId?: string;
}

/** An entry of EventBridge PutEvents, as the local bus takes it. */
export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Resources?: string[];
  Time?: string;
}

/** SES's mailbox simulator (docs "Using the mailbox simulator"). */
export const SIMULATOR = {
  bounce: 'bounce@simulator.amazonses.com',
  complaint: 'complaint@simulator.amazonses.com',
} as const;

export interface LocalSes {
  /** The SDK endpoint (AWS_ENDPOINT_URL_SES and _SESV2); also serves the viewer's GET /store. */
  endpoint: string;
  /** The account's MaxSendRate now (tests change it). */
  maxSendRate: number;
  /** Sends forwarded to the emulator since start (v1 and v2). */
  readonly sends: number;
  /** The tracked sends since start, by SES MessageId: what went to the viewer (tests). */
  readonly tracked: ReadonlyMap<string, TrackedSend>;
  /** The watched inbound folder, if any. */
  readonly inboundFolder: string | undefined;
  stop(): Promise<void>;
}

const SUPPRESSION_PATH = '/v2/email/suppression/addresses';
/** Local only: a received message, as SES inbound's receipt rule would store it. */
export const INBOUND_PATH = '/_local/inbound';
/** How long a dropped .eml must stay unchanged before it is read (a writer may still be writing it). */
export const INBOUND_SETTLE_MS = 200;
const INBOUND_POLL_MS = 250;

/**
 * Watches `folder` for dropped .eml files (polling: fs.watch misses events on some file
 * systems) and hands each to `receive` once; returns the stop function.
 */
function watchInboundFolder(folder: string, receive: (eml: Buffer) => Promise<string>): () => Promise<void> {
  for (const sub of ['', 'done', 'failed']) mkdirSync(join(folder, sub), { recursive: true });
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const sweep = async () => {
    for (const name of (await readdir(folder)).filter((n) => n.endsWith('.eml') && !n.startsWith('.')).sort()) {
      const path = join(folder, name);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile() || Date.now() - info.mtimeMs < INBOUND_SETTLE_MS) continue;
      try {
        await receive(await readFile(path));
        await rename(path, join(folder, 'done', name));
      } catch (error) {
        await rename(path, join(folder, 'failed', name)).catch(() => undefined);
        await writeFile(join(folder, 'failed', `${name}.error.txt`), String((error as Error).message)).catch(() => undefined);
      }
    }
  };
  const timer = setInterval(() => {
    running = running.then(() => (stopped ? undefined : sweep().catch(() => undefined)));
  }, INBOUND_POLL_MS);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}

/** A v2 send of a tracked configuration set, as its events name it. */
export interface TrackedSend {
  messageId: string;
  configurationSet: string;
  /** SES's event `mail` object (headers, tags...). */
  mail: Record<string, unknown>;
  /** The links of the HTML body, by index (what /t/click/<token>/<n> redirects to). */
  links: string[];
  /** The HTML as sent (pixel and rewritten links). */
  html: string | undefined;
  token: string;
}

interface SendEmailBody {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  ReplyToAddresses?: string[];
  ConfigurationSetName?: string;
  EmailTags?: { Name: string; Value: string }[];
  Content?: {
    Simple?: {
      Subject?: { Data?: string };
      Body?: { Text?: { Data?: string }; Html?: { Data?: string } };
      Headers?: { Name: string; Value: string }[];
    };
  };
}

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** A MessageId as SES forms them: "0100…-<uuid>-000000" (opaque to the CRM). */
const sesMessageId = (now: number) => `0100${now.toString(16).padStart(12, '0')}-${randomUUID()}-000000`;

const bareAddress = (value: string) => (/<([^>]+)>/.exec(value)?.[1] ?? value).trim();

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
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const trackedSets = new Set(options.trackedConfigurationSets ?? []);
  const tracked = new Map<string, TrackedSend>();
  const byToken = new Map<string, TrackedSend>();
  let endpoint = '';

  const publish = (send: TrackedSend, detailType: string, eventType: string, part: string, body: Record<string, unknown>) => {
    options.publish?.([
      {
        Source: 'aws.ses',
        DetailType: detailType,
        Resources: [`arn:aws:ses:${region}:${accountId}:configuration-set/${send.configurationSet}`],
        Detail: JSON.stringify({ eventType, mail: send.mail, [part]: body }),
        Time: new Date().toISOString(),
      },
    ]);
  };

  /** SES's handling of a v2 SendEmail of a tracked set: the body to forward, and what to publish once it is accepted. */
  const prepareSend = (input: SendEmailBody, setName: string) => {
    const now = Date.now();
    const messageId = sesMessageId(now);
    const simple = input.Content?.Simple;
    const from = input.FromEmailAddress ?? '';
    const to = input.Destination?.ToAddresses ?? [];
    const cc = input.Destination?.CcAddresses ?? [];
    const recipients = [...to, ...cc, ...(input.Destination?.BccAddresses ?? [])].map(bareAddress);
    const domain = bareAddress(from).slice(bareAddress(from).lastIndexOf('@') + 1);
    const subject = simple?.Subject?.Data ?? '';
    const headerMessageId = `<${messageId}@${region === 'us-east-1' ? 'email' : region}.amazonses.com>`;
    const headers = [
      { name: 'From', value: from },
      ...(input.ReplyToAddresses?.length ? [{ name: 'Reply-To', value: input.ReplyToAddresses.join(', ') }] : []),
      { name: 'To', value: to.join(', ') },
      ...(cc.length ? [{ name: 'Cc', value: cc.join(', ') }] : []),
      { name: 'Subject', value: subject },
      { name: 'Message-ID', value: headerMessageId },
      ...(simple?.Headers ?? []).map((h) => ({ name: h.Name, value: h.Value })),
      { name: 'MIME-Version', value: '1.0' },
    ];
    const tags: Record<string, string[]> = {
      'ses:configuration-set': [setName],
      'ses:source-ip': ['127.0.0.1'],
      'ses:from-domain': [domain],
      'ses:caller-identity': ['local'],
      'ses:outgoing-ip': ['127.0.0.1'],
    };
    for (const tag of input.EmailTags ?? []) tags[tag.Name] = [tag.Value];
    const token = randomBytes(12).toString('hex');
    const links: string[] = [];
    let html = simple?.Body?.Html?.Data;
    if (html !== undefined) {
      // Links SES rewrites: absolute http(s) hrefs of anchors not marked ses:no-track.
      html = html.replace(/<a\b[^>]*>/gi, (tag) =>
        /\bses:no-track\b/i.test(tag)
          ? tag
          : tag.replace(/href=(["'])(https?:\/\/[^"']+)\1/i, (_, quote: string, url: string) => {
              links.push(url);
              return `href=${quote}${endpoint}/t/click/${token}/${links.length - 1}${quote}`;
            }),
      );
      const pixel = `<img alt="" src="${endpoint}/t/open/${token}" width="1" height="1" style="display:none;width:1px;height:1px;border:0" />`;
      html = /<\/body>/i.test(html) ? html.replace(/<\/body>/i, `${pixel}</body>`) : `${html}${pixel}`;
    }
    const send: TrackedSend = {
      messageId,
      configurationSet: setName,
      token,
      links,
      html,
      mail: {
        timestamp: new Date(now).toISOString(),
        source: from,
        sourceArn: `arn:aws:ses:${region}:${accountId}:identity/${domain}`,
        sendingAccountId: accountId,
        messageId,
        destination: recipients,
        headersTruncated: false,
        headers,
        commonHeaders: {
          from: [from],
          ...(input.ReplyToAddresses?.length ? { replyTo: input.ReplyToAddresses } : {}),
          to,
          ...(cc.length ? { cc } : {}),
          messageId: headerMessageId,
          subject,
        },
        tags,
      },
    };
    const forwarded: SendEmailBody =
      html === undefined || !simple
        ? input
        : {
            ...input,
            Content: {
              ...input.Content,
              Simple: { ...simple, Body: { ...simple.Body, Html: { ...simple.Body?.Html, Data: html } } },
            },
          };
    const afterAccepted = () => {
      tracked.set(messageId, send);
      byToken.set(token, send);
      publish(send, 'Email Sent', 'Send', 'send', {});
      const at = () => new Date().toISOString();
      const suppressedNow = recipients.filter((r) => suppressed.has(r.toLowerCase()));
      const bounced = recipients.filter((r) => r.toLowerCase() === SIMULATOR.bounce);
      const delivered = recipients.filter((r) => !suppressedNow.includes(r) && !bounced.includes(r));
      if (delivered.length > 0) {
        publish(send, 'Email Delivered', 'Delivery', 'delivery', {
          timestamp: at(),
          processingTimeMillis: 250,
          recipients: delivered,
          smtpResponse: '250 2.6.0 Message received',
          reportingMTA: 'a8-local.smtp-out.amazonses.com',
        });
      }
      const bounce = (list: string[], subType: string) =>
        publish(send, 'Email Bounced', 'Bounce', 'bounce', {
          feedbackId: `${randomUUID()}-000000`,
          bounceType: 'Permanent',
          bounceSubType: subType,
          bouncedRecipients: list.map((emailAddress) => ({
            emailAddress,
            action: 'failed',
            status: '5.1.1',
            diagnosticCode:
              subType === 'General'
                ? 'smtp; 550 5.1.1 user unknown'
                : 'Amazon SES did not send the message to this address because it is on the suppression list for your account.',
          })),
          timestamp: at(),
          reportingMTA: 'dns; amazonses.com',
        });
      if (suppressedNow.length > 0) bounce(suppressedNow, 'OnAccountSuppressionList');
      if (bounced.length > 0) bounce(bounced, 'General');
      const complained = recipients.filter((r) => r.toLowerCase() === SIMULATOR.complaint);
      if (complained.length > 0) {
        publish(send, 'Email Complaint Received', 'Complaint', 'complaint', {
          feedbackId: `${randomUUID()}-000000`,
          complaintSubType: null,
          complainedRecipients: complained.map((emailAddress) => ({ emailAddress })),
          timestamp: at(),
          userAgent: 'Amazon SES Mailbox Simulator',
          complaintFeedbackType: 'abuse',
          arrivalDate: at(),
        });
      }
    };
    return { body: Buffer.from(JSON.stringify(forwarded)), messageId, afterAccepted };
  };

  /** /t/open/<token> and /t/click/<token>/<n>: the pixel and the redirect; a GET publishes Open or Click. */
  const track = (req: IncomingMessage, res: ServerResponse, path: string, method: string): boolean => {
    const match = /^\/t\/(open|click)\/([0-9a-f]+)(?:\/(\d+))?$/.exec(path);
    if (!match) return false;
    const send = byToken.get(match[2]!);
    const link = match[1] === 'click' && send ? send.links[Number(match[3])] : undefined;
    if (!send || (match[1] === 'click' && link === undefined)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('unknown tracking link');
      return true;
    }
    const seen = {
      ipAddress: req.socket.remoteAddress ?? '127.0.0.1',
      timestamp: new Date().toISOString(),
      userAgent: req.headers['user-agent'] ?? '',
    };
    if (match[1] === 'open') {
      if (method === 'GET') publish(send, 'Email Opened', 'Open', 'open', seen);
      res.writeHead(200, { 'content-type': 'image/gif', 'cache-control': 'no-store', 'content-length': PIXEL.length });
      res.end(method === 'HEAD' ? undefined : PIXEL);
      return true;
    }
    if (method === 'GET') publish(send, 'Email Clicked', 'Click', 'click', { ...seen, link, linkTags: {} });
    res.writeHead(302, { location: link! });
    res.end();
    return true;
  };

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
      if ((method === 'GET' || method === 'HEAD') && path.startsWith('/t/') && track(req, res, path, method)) return;
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
      const v2Send = method === 'POST' && path === '/v2/email/outbound-emails';
      const sending = v2Send || (method === 'POST' && path === '/' && /Action=Send(Raw)?Email/.test(body.toString('utf8')));
      const input = v2Send ? (JSON.parse(body.toString('utf8') || '{}') as SendEmailBody) : undefined;
      const prepared =
        input?.ConfigurationSetName && trackedSets.has(input.ConfigurationSetName)
          ? prepareSend(input, input.ConfigurationSetName)
          : undefined;
      return forward(
        options.upstream,
        req,
        prepared?.body ?? body,
        res,
        (status) => {
          if (sending && status < 300) {
            state.sends++;
            sent24h++;
            prepared?.afterAccepted();
          }
        },
        // SES's own MessageId, not the viewer's.
        prepared ? (status) => (status < 300 ? { MessageId: prepared.messageId } : undefined) : undefined,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stopWatching =
    options.receive && options.inboundFolder ? watchInboundFolder(options.inboundFolder, options.receive) : async () => {};
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
    tracked,
    inboundFolder: options.receive ? options.inboundFolder : undefined,
    stop: async () => {
      await stopWatching();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
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
  /** A JSON answer to give instead of the emulator's (undefined: the emulator's as it is). */
  replace?: (status: number) => unknown,
): void {
  const target = new URL(req.url ?? '/', upstream);
  const out = httpRequest(
    target,
    { method: req.method, headers: { ...req.headers, host: target.host, 'content-length': String(body.length) } },
    (answer) => {
      const status = answer.statusCode ?? 502;
      onStatus(status);
      const replacement = replace?.(status);
      if (replacement !== undefined) {
        answer.resume();
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(replacement));
        return;
      }
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
