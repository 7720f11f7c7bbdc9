import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { domainEvent } from '#shared/kernel/events.ts';
import { makeTeam } from '#test/helpers/fakes.ts';
import { newId } from '#shared/kernel/ids.ts';
import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { routeClient, type CallRoute } from '#shared/platform/http/client.ts';
import { healthRoute, openApiRoute } from '#shared/platform/http/platform-routes.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import { Table } from '#shared/platform/dynamodb/table.ts';
import type { LocalCloud } from '#infra/local/cloud.ts';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { apiClient, startTestCloud } from '#test/helpers/local-cloud.ts';

let cloud: LocalCloud;
let api: ReturnType<typeof apiClient>;
let call: CallRoute;
const received: { at: number; event: BusEvent }[] = [];

beforeAll(async () => {
  ({ cloud } = await startTestCloud({
    extraRules: [
      {
        name: 'test-things',
        pattern: { source: ['crm'], 'detail-type': ['team.created'] },
        target: async (event) => {
          received.push({ at: Date.now(), event });
        },
      },
    ],
  }));
  api = apiClient(cloud.url);
  call = routeClient({ baseUrl: cloud.url });
});

afterAll(async () => {
  await cloud?.stop();
});

describe('platform over HTTP', () => {
  it('answers /health without a token', async () => {
    const res = await call(healthRoute);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok' });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('serves a valid OpenAPI 3.1 document without a token', async () => {
    const res = await call(openApiRoute);
    expect(res.status).toBe(200);
    const doc = res.body as Record<string, any>;
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.paths)).toContain('/health');
  });

  it('answers an unknown route with a problem+json 404', async () => {
    const res = await api('GET', '/no/such/thing');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({
      status: 404,
      title: 'Not Found',
      code: 'route_not_found',
      type: 'tag:open-sell-crm,2026:problem:route_not_found',
    });
  });

  it('answers CORS preflight', async () => {
    const res = await fetch(`${cloud.url}/health`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toContain('idempotency-key');
  });
});

describe('event backbone', () => {
  it('delivers an event written through the outbox to a rule target within 2 s, in an EventBridge envelope', async () => {
    const table = new Table({
      client: dynamoDocumentClient(),
      name: cloud.names.tableName,
      cursors: new CursorCodec('x'.repeat(16)),
    });
    const id = newId();
    const event = domainEvent(
      { actor_id: 'u1', correlation_id: 'c1', now: new Date(), newId: () => newId() },
      // A catalogued type with a valid record: the publisher refuses anything else (shared/events).
      'team.created',
      { resource_type: 'team', resource_id: id },
      makeTeam(id),
    );
    const written = Date.now();
    await table.write([{ type: 'create', item: { pk: `thing#${id}`, sk: 'thing', id } }], [event]);
    const deadline = written + 2_000;
    while (
      !received.some((r) => r.event.detail && (r.event.detail as typeof event).metadata.event_id === event.metadata.event_id)
    ) {
      if (Date.now() > deadline) throw new Error('the event did not reach the rule target within 2 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const hit = received.find((r) => (r.event.detail as typeof event).metadata.event_id === event.metadata.event_id)!;
    expect(hit.at - written).toBeLessThan(2_000);
    expect(hit.event).toMatchObject({ version: '0', source: 'crm', 'detail-type': 'team.created', account: expect.any(String) });
    expect(hit.event.detail).toEqual(event);
    expect(hit.event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});
