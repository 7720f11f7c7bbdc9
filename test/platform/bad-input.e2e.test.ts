import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '#shared/families.ts';
import { routeKey, type AnyRoute } from '#shared/platform/http/contract.ts';
import type { LocalCloud } from '#infra/local/cloud.ts';
import { apiClient, startTestCloud } from '#test/helpers/local-cloud.ts';
import { routeCases } from '#test/helpers/route-cases.ts';
import type { Fixtures, RouteCall } from '#test/helpers/route-case-types.ts';

// Bad input never earns a 500 (DEVELOPERS.md: a clear 4xx naming the field and a stable code).
// Generated from the route contracts, so a new route is covered the day it lands: each route,
// as the admin (who passes every role check, so the input itself is what is judged), is called
// with its valid request (from the authorization matrix's cases) spoiled one way at a time:
// a body that is not JSON or not an object, each body field of the wrong type, null, huge or
// nested; each path parameter malformed; each query parameter malformed. Any answer below 500
// passes (some spoilings are still valid input), but a 4xx must be a problem with its code.

let cloud: LocalCloud;
let fixtures: Fixtures;
let token: string;
let counter = 0;

beforeAll(async () => {
  const started = await startTestCloud();
  cloud = started.cloud;
  const api = apiClient(cloud.url);
  const byEmail = (email: string) => started.users.find((u) => u.email === email)!;
  const users = {
    admin: byEmail('admin@example.com'),
    manager: byEmail('manager@example.com'),
    rep1: byEmail('rep1@example.com'),
    rep2: byEmail('rep2@example.com'),
    solo: byEmail('solo@example.com'),
  };
  token = users.admin.token;
  fixtures = {
    api,
    sesUrl: cloud.sesUrl,
    apiUrl: cloud.url,
    users,
    unique: () => `${Date.now().toString(36)}${(counter++).toString(36)}`,
    asAdmin: async (method, path, body) => {
      const res = await api(method, path, { token: users.admin.token, body });
      if (res.status >= 300) throw new Error(`setup ${method} ${path} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
  };
});

afterAll(async () => {
  await cloud?.stop();
});

/** Values of the wrong kind for a field whose valid value is `value`. */
function spoiledValues(value: unknown): unknown[] {
  const wrongType =
    typeof value === 'string' ? 12345 : typeof value === 'number' ? 'twelve' : typeof value === 'boolean' ? 'yes' : 'x';
  return [wrongType, null, { nested: { deeper: [1, 2, 3] } }, 'x'.repeat(100_000), -1e308, '\u0000\uFFFF'];
}

const SPOILED_SEGMENTS = ['%00', '..%2F..%2Fetc', 'x'.repeat(2_000), '%F0%9F%92%A9', '%ZZ', '-1', '[object%20Object]'];
const SPOILED_QUERY_VALUES = ['', '-1', 'NaN', 'x'.repeat(5_000), '%00', '{"a":1}', '2026-13-45T99:99:99Z'];

/** The names of a zod/mini object schema's keys (route params and queries are objects). */
function keysOf(schema: unknown): string[] {
  const shape = (schema as { def?: { shape?: Record<string, unknown> } } | undefined)?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

interface Answer {
  status: number;
  body: string;
}

async function send(route: AnyRoute, path: string, body?: { raw: string }): Promise<Answer> {
  const res = await fetch(`${cloud.url}${path}`, {
    method: route.method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: body.raw } : {}),
  });
  return { status: res.status, body: await res.text() };
}

/** The valid call of the route, as the admin, on the admin's own record. */
async function validCall(route: AnyRoute): Promise<RouteCall> {
  const found = routeCases[route.id];
  if (!found) throw new Error(`no route case for ${route.id}`);
  switch (found.kind) {
    case 'public':
    case 'unowned':
      return found.call(fixtures);
    case 'owned':
    case 'personal':
      return found.call(fixtures, fixtures.users.admin);
  }
}

/** Every spoiled request of a route: a label and how to send it. */
function spoilings(route: AnyRoute, call: RouteCall): { label: string; path: string; raw?: string }[] {
  const out: { label: string; path: string; raw?: string }[] = [];
  const [pathOnly, queryString = ''] = call.path.split('?');
  const hasBody = call.body !== undefined || route.body !== undefined;
  if (hasBody) {
    for (const raw of ['{not json', '[]', '"text"', 'null', '42', JSON.stringify({ a: 'x'.repeat(200_000) })]) {
      out.push({ label: `body ${raw.slice(0, 20)}`, path: call.path, raw });
    }
    if (call.body && typeof call.body === 'object' && !Array.isArray(call.body)) {
      for (const [field, value] of Object.entries(call.body as Record<string, unknown>)) {
        for (const spoiled of spoiledValues(value)) {
          const label = `body.${field} = ${JSON.stringify(spoiled)?.slice(0, 30)}`;
          out.push({ label, path: call.path, raw: JSON.stringify({ ...(call.body as object), [field]: spoiled }) });
        }
      }
    }
  }
  const raw = call.body === undefined ? undefined : JSON.stringify(call.body);
  const template = route.path.split('/');
  const segments = pathOnly!.split('/');
  template.forEach((part, i) => {
    if (!part.startsWith('{')) return;
    for (const spoiled of SPOILED_SEGMENTS) {
      const path = [...segments.slice(0, i), spoiled, ...segments.slice(i + 1)].join('/');
      out.push({ label: `${part} = ${spoiled.slice(0, 20)}`, path: queryString ? `${path}?${queryString}` : path, raw });
    }
  });
  for (const name of keysOf(route.query)) {
    for (const spoiled of SPOILED_QUERY_VALUES) {
      const query = new URLSearchParams(queryString);
      query.set(name, spoiled);
      out.push({ label: `?${name}=${spoiled.slice(0, 20)}`, path: `${pathOnly}?${query}`, raw });
    }
    const twice = new URLSearchParams(queryString);
    twice.append(name, 'a');
    twice.append(name, 'b');
    out.push({ label: `?${name} twice`, path: `${pathOnly}?${twice}`, raw });
  }
  return out;
}

describe('bad input never answers 500', () => {
  for (const route of allRoutes) {
    it(`${routeKey(route)} (${route.id})`, async () => {
      const call = await validCall(route);
      const failures: string[] = [];
      for (const spoiled of spoilings(route, call)) {
        const answer = await send(route, spoiled.path, spoiled.raw === undefined ? undefined : { raw: spoiled.raw });
        if (answer.status >= 500) {
          failures.push(`${spoiled.label}: ${answer.status} ${answer.body.slice(0, 200)}`);
        } else if (answer.status >= 400 && answer.status !== 404 && answer.status !== 405) {
          // A problem with a stable code (404/405 may come from routing itself, before any handler).
          // Our problem's `code`, or in Sell's envelope (the /v2 facade) each error's `error.code`.
          let code: unknown;
          try {
            const body = JSON.parse(answer.body) as { code?: unknown; errors?: { error?: { code?: unknown } }[] };
            code = body.code ?? body.errors?.[0]?.error?.code;
          } catch {
            code = undefined;
          }
          if (typeof code !== 'string')
            failures.push(`${spoiled.label}: ${answer.status} without a code: ${answer.body.slice(0, 200)}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }
});
