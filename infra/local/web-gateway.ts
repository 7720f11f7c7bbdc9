import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

// The web app's CloudFront on a laptop: the built app (web/dist) with the SPA rewrite the
// distribution's CloudFront Function does (a path without a file extension is /index.html),
// /config.json naming the API and Cognito endpoints, and /api/* forwarded to the local HTTP API
// with the prefix removed (the API keeps its routes at the root, as API Gateway serves them).
// Same origin for app and API: no CORS between them.

export interface WebGatewayOptions {
  /** The built app (index.html and assets/). */
  distDir: string;
  /** The local HTTP API's URL, e.g. http://127.0.0.1:3000. */
  apiUrl: string;
  /**
   * What the app reads from /config.json (see web/src/config.ts); `apiUrl` there is "/api". The
   * origins of its other endpoints (`webSocketUrl`, `cognito.endpoint`) join the CSP's connect-src.
   */
  runtimeConfig: Record<string, unknown>;
  port?: number;
}

/**
 * The CloudFront Function's rule: paths whose last segment has no extension serve /index.html.
 * Its source is the distribution's function too (infra/constructs/web-hosting.ts), so it keeps to
 * what CloudFront's JavaScript runtime 2.0 runs (no `??`, no imports).
 */
export function spaRewrite(path: string): string {
  const last = path.slice(path.lastIndexOf('/') + 1);
  return last.includes('.') ? path : '/index.html';
}

/** Cache-Control of /assets/* (hashed file names: they never change). */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Cache-Control of index.html and config.json: revalidated at each load. */
export const APP_CACHE_CONTROL = 'no-cache';

/** The app's Content-Security-Policy; `connect` adds the API, WebSocket and Cognito endpoints. */
export function contentSecurityPolicy(connect: readonly string[]): string {
  return [
    "default-src 'self'",
    `connect-src 'self' ${connect.join(' ')}`.trim(),
    // Mantine sets inline styles.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
  ].join('; ');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The response headers policy of the distribution (security headers). */
function appHeaders(connect: string[]): Record<string, string> {
  return {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'content-security-policy': contentSecurityPolicy(connect),
  };
}

export async function startWebGateway(options: WebGatewayOptions): Promise<{ url: string; server: Server }> {
  const api = new URL(options.apiUrl);
  const root = normalize(options.distDir);
  const connect = [
    options.runtimeConfig.webSocketUrl,
    ...Object.values((options.runtimeConfig.cognito ?? {}) as Record<string, unknown>),
  ]
    .filter((v): v is string => typeof v === 'string' && /^(https?|wss?):\/\//.test(v))
    .map((v) => new URL(v).origin);
  const headers = appHeaders(connect);

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      const upstream = httpRequest(
        {
          host: api.hostname,
          port: api.port,
          method: req.method,
          path: (url.pathname.slice(4) || '/') + url.search,
          headers: { ...req.headers, host: api.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('the local API is not answering');
      });
      req.pipe(upstream);
      return;
    }
    if (url.pathname === '/config.json') {
      res.writeHead(200, { ...headers, 'content-type': 'application/json', 'cache-control': APP_CACHE_CONTROL });
      res.end(JSON.stringify(options.runtimeConfig));
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      // A malformed escape ("/%ZZ") is the client's fault; thrown here it would stop npm start.
      res.writeHead(400, { ...headers, 'content-type': 'text/plain' });
      res.end('malformed path');
      return;
    }
    const path = spaRewrite(decoded);
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' });
      res.end('Not found');
      return;
    }
    // index.html is revalidated at each load; hashed assets never change.
    const cache = path.startsWith('/assets/') ? ASSET_CACHE_CONTROL : APP_CACHE_CONTROL;
    res.writeHead(200, {
      ...headers,
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': cache,
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
