import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spaRewrite, startWebGateway } from '#infra/local/web-gateway.ts';

// The web app's local distribution: the SPA rewrite, /config.json, /api/* to the API without
// its prefix, cache headers, and nothing outside the built folder.

const dist = mkdtempSync(join(tmpdir(), 'crm-web-dist-'));
let api: Server;
let gateway: { url: string; server: Server };

beforeAll(async () => {
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(tmpdir(), 'crm-web-secret.txt'), 'secret');
  // A stand-in API that echoes what it received.
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', etag: '"7"' });
      res.end(JSON.stringify({ method: req.method, url: req.url, auth: req.headers.authorization, body }));
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  gateway = await startWebGateway({
    distDir: dist,
    apiUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
    runtimeConfig: {
      apiUrl: '/api',
      webSocketUrl: 'ws://127.0.0.1:8888/local',
      cognito: { endpoint: 'http://127.0.0.1:9999', clientId: 'c' },
    },
  });
});

afterAll(async () => {
  gateway?.server.close();
  api?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('the local web gateway', () => {
  it('rewrites paths without an extension to /index.html, as the CloudFront Function does', () => {
    expect(spaRewrite('/')).toBe('/index.html');
    expect(spaRewrite('/deals/01ABC')).toBe('/index.html');
    expect(spaRewrite('/assets/index-abc.js')).toBe('/assets/index-abc.js');
    expect(spaRewrite('/favicon.ico')).toBe('/favicon.ico');
  });

  it('serves the app for deep links (revalidated) and assets as immutable, with security headers', async () => {
    const page = await fetch(`${gateway.url}/leads/01ABC?status=new`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>app</title>');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    // The page may reach the API (same origin), the live WebSocket API and Cognito, nothing else.
    expect(page.headers.get('content-security-policy')).toContain(
      "connect-src 'self' ws://127.0.0.1:8888 http://127.0.0.1:9999;",
    );
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const asset = await fetch(`${gateway.url}/assets/index-abc.js`);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${gateway.url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${gateway.url}/assets/..%2f..%2fcrm-web-secret.txt`)).status).toBe(404);
    // A malformed escape is refused, and the gateway keeps serving.
    expect((await fetch(`${gateway.url}/leads/%ZZ`)).status).toBe(400);
    expect((await fetch(`${gateway.url}/leads`)).status).toBe(200);
  });

  it('serves the runtime config', async () => {
    expect(await (await fetch(`${gateway.url}/config.json`)).json()).toEqual({
      apiUrl: '/api',
      webSocketUrl: 'ws://127.0.0.1:8888/local',
      cognito: { endpoint: 'http://127.0.0.1:9999', clientId: 'c' },
    });
  });

  it('forwards /api/* to the API without the prefix: method, query, headers, body and answer', async () => {
    const answer = await fetch(`${gateway.url}/api/leads?limit=5`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: '{"first_name":"Ada"}',
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('etag')).toBe('"7"');
    expect(await answer.json()).toEqual({
      method: 'POST',
      url: '/leads?limit=5',
      auth: 'Bearer t',
      body: '{"first_name":"Ada"}',
    });
  });
});
