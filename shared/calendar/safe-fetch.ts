import { lookup as dnsLookup } from 'node:dns/promises';
import { request } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

// The only way the CRM reads a URL a user gave (external calendars): https only, to public
// addresses only, with size and time limits, so the feature cannot be turned on the CRM's own
// network (server-side request forgery: the instance metadata at 169.254.169.254, localhost,
// a VPC's private ranges). The host name is resolved here and every address checked; the
// connection then goes to the checked address (the request's `lookup` answers it), so a DNS
// answer that changes between the check and the connection (rebinding) changes nothing.
// Redirects are followed by hand, each hop checked the same way.

/** Why a fetch was refused or failed (stored as the calendar's last_error). */
export type FetchFailure =
  | 'not_https'
  | 'address_not_public'
  | 'dns_failed'
  | 'too_large'
  | 'timed_out'
  | 'http_status'
  | 'too_many_redirects'
  | 'network';

export class ExternalFetchError extends Error {
  readonly reason: FetchFailure;
  constructor(reason: FetchFailure, message: string) {
    super(message);
    this.name = 'ExternalFetchError';
    this.reason = reason;
  }
}

const NOT_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, instance metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  NOT_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['::', 96], // IPv4-compatible (deprecated)
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  NOT_PUBLIC.addSubnet(net, bits, 'ipv6');

/** The IPv4 address an IPv6 one carries (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96), if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Whether an IP address (v4 or v6) is a public unicast one. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NOT_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = embeddedIpv4(address);
  if (v4 !== undefined) return isPublicAddress(v4);
  return !NOT_PUBLIC.check(address, 'ipv6');
}

/** Which addresses a fetch may connect to. */
export type AddressPolicy = (address: string) => boolean;

export interface SafeFetchOptions {
  /** Largest body read (bytes); more fails with too_large. */
  maxBytes?: number;
  /** Whole fetch, redirects included (ms). */
  timeoutMs?: number;
  maxRedirects?: number;
  /**
   * TESTS ONLY: which addresses may be reached (default: public ones) and the CA to trust for
   * them. Refused outside vitest, so no deployed function can widen its reach.
   */
  testSeam?: { policy: AddressPolicy; ca: string };
}

export const FETCH_DEFAULTS = { maxBytes: 1_000_000, timeoutMs: 10_000, maxRedirects: 3 } as const;

/** Reads https URLs of public addresses only (see the file's comment). */
export class SafeFetcher {
  readonly #maxBytes: number;
  readonly #timeoutMs: number;
  readonly #maxRedirects: number;
  readonly #policy: AddressPolicy;
  readonly #ca: string | undefined;

  constructor(options: SafeFetchOptions = {}) {
    if (options.testSeam && process.env.VITEST !== 'true') {
      throw new Error('SafeFetcher: the test seam is for tests only');
    }
    this.#maxBytes = options.maxBytes ?? FETCH_DEFAULTS.maxBytes;
    this.#timeoutMs = options.timeoutMs ?? FETCH_DEFAULTS.timeoutMs;
    this.#maxRedirects = options.maxRedirects ?? FETCH_DEFAULTS.maxRedirects;
    this.#policy = options.testSeam?.policy ?? isPublicAddress;
    this.#ca = options.testSeam?.ca;
  }

  /**
   * The body of `url` (UTF-8) after at most maxRedirects redirects.
   * @throws ExternalFetchError naming why it was refused or failed
   */
  async text(url: string): Promise<string> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let current = url;
    for (let hop = 0; hop <= this.#maxRedirects; hop++) {
      const answer = await this.#get(current, signal);
      if (answer.redirect === undefined) return answer.body;
      current = new URL(answer.redirect, current).toString();
    }
    throw new ExternalFetchError('too_many_redirects', `more than ${this.#maxRedirects} redirects`);
  }

  /** The one address of `host` this fetch connects to: every address DNS gives must be allowed. */
  async #address(host: string): Promise<{ address: string; family: number }> {
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    let found: { address: string; family: number }[];
    if (isIP(bare)) found = [{ address: bare, family: isIP(bare) }];
    else {
      try {
        found = await dnsLookup(bare, { all: true, verbatim: true });
      } catch {
        throw new ExternalFetchError('dns_failed', `${bare} does not resolve`);
      }
    }
    const refused = found.find((a) => !this.#policy(a.address));
    if (found.length === 0 || refused) {
      throw new ExternalFetchError(
        'address_not_public',
        `${bare} resolves to ${refused?.address ?? 'nothing'}, not a public address`,
      );
    }
    return found[0]!;
  }

  async #get(raw: string, signal: AbortSignal): Promise<{ body: string; redirect?: undefined } | { redirect: string }> {
    const url = new URL(raw);
    if (url.protocol !== 'https:') throw new ExternalFetchError('not_https', `only https URLs are read, not ${url.protocol}`);
    if (signal.aborted) throw new ExternalFetchError('timed_out', `no answer within ${this.#timeoutMs} ms`);
    const pinned = await this.#address(url.hostname);
    const lookup: LookupFunction = (_host, options, callback) => {
      if ((options as { all?: boolean }).all) (callback as (e: null, a: unknown[]) => void)(null, [pinned]);
      else callback(null, pinned.address, pinned.family);
    };
    const maxBytes = this.#maxBytes;
    const timeoutMs = this.#timeoutMs;
    return new Promise((resolve, reject) => {
      const fail = (error: unknown) => {
        if (error instanceof ExternalFetchError) reject(error);
        else if (signal.aborted) reject(new ExternalFetchError('timed_out', `no answer within ${timeoutMs} ms`));
        else reject(new ExternalFetchError('network', (error as Error).message));
      };
      const req = request(
        url,
        {
          method: 'GET',
          lookup,
          signal,
          ...(this.#ca ? { ca: this.#ca } : {}),
          headers: { accept: 'text/calendar, */*;q=0.5', 'user-agent': 'crm-calendar/1' },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400 && typeof res.headers.location === 'string') {
            res.resume();
            resolve({ redirect: res.headers.location });
            return;
          }
          if (status !== 200) {
            res.resume();
            fail(new ExternalFetchError('http_status', `the server answered ${status}`));
            return;
          }
          const declared = Number(res.headers['content-length'] ?? 0);
          if (declared > maxBytes) {
            res.destroy();
            fail(new ExternalFetchError('too_large', `larger than ${maxBytes} bytes`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              res.destroy();
              fail(new ExternalFetchError('too_large', `larger than ${maxBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => resolve({ body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end();
    });
  }
}
