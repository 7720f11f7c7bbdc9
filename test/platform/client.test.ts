import type { Server } from 'node:http';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type * as z from 'zod/mini';
import { startLocalHttp } from '#infra/local/http-server.ts';
import { getCustomFieldRoute } from '#shared/custom-fields/routes.ts';
import type { createDealInput, dealSchema } from '#shared/deals/domain.ts';
import { listDealsRoute, type createDealRoute } from '#shared/deals/routes.ts';
import { allRoutes } from '#shared/families.ts';
import { listLeadsRoute } from '#shared/leads/routes.ts';
import type { noteSchema } from '#shared/notes/domain.ts';
import { createNoteRoute, deleteNoteRoute, getNoteRoute, listNotesRoute, updateNoteRoute } from '#shared/notes/routes.ts';
import { searchRecordsRoute } from '#shared/search/routes.ts';
import {
  routeClient,
  routeUrl,
  UnexpectedAnswerError,
  type CallRoute,
  type ResponseBody,
  type RouteAnswer,
  type RouteInput,
} from '#shared/platform/http/client.ts';
import type { Problem } from '#shared/platform/http/problem.ts';
import { parsePart, type HttpEvent } from '#shared/platform/http/request.ts';

// The typed client against the local API Gateway (a node:http server on 127.0.0.1 that turns
// requests into v2 events as AWS does) in front of a recording handler: what the client sends
// is what a real handler receives, and what the handler answers is what the client reads.

const ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const TOKEN = 'good-token';

let server: Server;
let baseUrl: string;
let call: CallRoute;
const seen: HttpEvent[] = [];
const answers: APIGatewayProxyStructuredResultV2[] = [];

/** The handler's next answer; the default is `200 {}`. */
const answerWith = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
  answers.push({
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });

const lastEvent = (): HttpEvent => seen.at(-1)!;

beforeAll(async () => {
  ({ server, url: baseUrl } = await startLocalHttp({
    routes: allRoutes,
    defaultFamily: 'platform',
    verifier: {
      verify: async (token) => {
        if (token !== TOKEN) throw new Error('the signature does not match');
        return { sub: 'user-1', email: 'rep@example.com', 'custom:role': 'user' };
      },
    },
    invoke: async (_family, event) => {
      seen.push(event);
      return answers.shift() ?? { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
    },
  }));
  call = routeClient({ baseUrl: `${baseUrl}/`, token: TOKEN });
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
  answers.length = 0;
});

describe('routeClient: the request', () => {
  it('fills the path placeholders, encoded, and the gateway decodes them back', async () => {
    await call(getCustomFieldRoute, { params: { resource_type: 'deals', id: ID } });
    expect(lastEvent().rawPath).toBe(`/custom_fields/deals/${ID}`);
    expect(lastEvent().routeKey).toBe('GET /custom_fields/{resource_type}/{id}');
    expect(parsePart('params', getCustomFieldRoute.params!, lastEvent().pathParameters)).toEqual({
      resource_type: 'deal',
      id: ID,
    });

    const odd = 'a b/c?d#é%';
    await call(getNoteRoute, { params: { id: odd } });
    expect(lastEvent().rawPath).toBe(`/notes/${encodeURIComponent(odd)}`);
    expect(lastEvent().routeKey).toBe('GET /notes/{id}');
    expect(lastEvent().pathParameters).toEqual({ id: odd });
  });

  it('refuses to call a path with a placeholder left empty', async () => {
    await expect(call(getNoteRoute, { params: { id: '' } })).rejects.toThrow('no value for the path parameter "id"');
    await expect(call(getNoteRoute, { params: {} as { id: string } })).rejects.toThrow('"id"');
    expect(seen).toEqual([]);
  });

  it('writes the query so that the contract parses it back: custom field filters, booleans, numbers', async () => {
    await call(listLeadsRoute, {
      query: {
        tags: 'q4,vip',
        city: 'Zürich & Co',
        limit: 50,
        owner_id: undefined,
        custom_fields: { 'Tier level': 'gold' },
        'custom_fields[Size]': 'L',
      },
    });
    const event = lastEvent();
    expect(event.routeKey).toBe('GET /leads');
    expect(parsePart('query', listLeadsRoute.query!, event.queryStringParameters)).toEqual({
      tags: 'q4,vip',
      city: 'Zürich & Co',
      limit: 50,
      'custom_fields[Tier level]': 'gold',
      'custom_fields[Size]': 'L',
    });

    await call(listDealsRoute, { query: { hot: 'true', value_from: '10.5', sort_by: 'value', sort_order: 'desc' } });
    expect(parsePart('query', listDealsRoute.query!, lastEvent().queryStringParameters)).toEqual({
      hot: true,
      value_from: '10.5',
      sort_by: 'value',
      sort_order: 'desc',
      limit: 25,
    });

    await call(searchRecordsRoute, { query: { q: 'ada+lovelace@example.com', types: 'lead,contact', limit: 5 } });
    expect(parsePart('query', searchRecordsRoute.query!, lastEvent().queryStringParameters)).toEqual({
      q: 'ada+lovelace@example.com',
      types: 'lead,contact',
      limit: 5,
    });
  });

  it('sends no query string when there is nothing to send, and an unknown filter reaches the contract', async () => {
    await call(listNotesRoute);
    expect(lastEvent().rawQueryString).toBe('');
    expect(lastEvent().queryStringParameters).toBeUndefined();
    await call(listDealsRoute, { query: { stage: '1' } });
    expect(() => parsePart('query', listDealsRoute.query!, lastEvent().queryStringParameters)).toThrow(
      expect.objectContaining({ problems: [{ field: 'query.stage', message: 'is not a known filter' }] }),
    );
  });

  it('writes arrays as the key repeated (the gateway joins them with ","), Dates as ISO, and skips null', () => {
    expect(
      routeUrl({ path: '/things' }, undefined, {
        tags: ['a', 'b c'],
        due_from: new Date('2026-01-02T03:04:05.000Z'),
        gone: null,
        n: 0,
        yes: false,
      }),
    ).toBe('/things?tags=a&tags=b+c&due_from=2026-01-02T03%3A04%3A05.000Z&n=0&yes=false');
  });

  it('sends the body as JSON with the bearer token, and extra headers win', async () => {
    const body = { content: 'Called; wants a quote', resource_type: 'deal', resource_id: ID } as const;
    await call(createNoteRoute, { body, headers: { 'Idempotency-Key': 'k-1' } });
    const event = lastEvent();
    expect(event.routeKey).toBe('POST /notes');
    expect(JSON.parse(event.body!)).toEqual(body);
    expect(event.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: `Bearer ${TOKEN}`,
      'idempotency-key': 'k-1',
    });
    expect(event.requestContext.authorizer.jwt.claims).toMatchObject({ sub: 'user-1' });

    await call(updateNoteRoute, { params: { id: ID }, body: { content: 'v2' }, headers: { 'if-match': '"3"' } });
    expect(lastEvent().headers['if-match']).toBe('"3"');
    expect(JSON.parse(lastEvent().body!)).toEqual({ content: 'v2' });

    await call(getNoteRoute, { params: { id: ID } });
    expect(lastEvent().body).toBeUndefined();
    expect(lastEvent().headers['content-type']).toBeUndefined();
  });

  it('asks a token function before each call, and sends none when it has none', async () => {
    const tokens = [TOKEN, undefined];
    const asking = routeClient({ baseUrl, token: async () => tokens.shift() });
    expect((await asking(getNoteRoute, { params: { id: ID } })).status).toBe(200);
    const anonymous = await asking(getNoteRoute, { params: { id: ID } });
    expect(anonymous.status).toBe(401);
    expect(seen).toHaveLength(1);
  });
});

describe('routeClient: the answer', () => {
  it('reads a 2xx JSON body and keeps the headers', async () => {
    const note = { id: ID, content: 'x', version: 1 };
    answerWith(201, note, { etag: '"1"', location: `/notes/${ID}` });
    const answer = await call(createNoteRoute, { body: { content: 'x', resource_type: 'deal', resource_id: ID } });
    expect(answer).toMatchObject({ ok: true, status: 201, body: note });
    expect(answer.headers.get('etag')).toBe('"1"');
    expect(answer.headers.get('location')).toBe(`/notes/${ID}`);
  });

  it('reads a 204 as no body', async () => {
    answers.push({ statusCode: 204, headers: {} });
    const answer = await call(deleteNoteRoute, { params: { id: ID } });
    expect(answer).toMatchObject({ ok: true, status: 204 });
    expect(answer.body).toBeUndefined();
  });

  it('surfaces a problem+json answer as it came', async () => {
    const problem: Problem = {
      type: 'tag:open-sell-crm,2026:problem:validation_failed',
      code: 'validation_failed',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'The request has invalid fields',
      errors: [{ field: 'body.content', message: 'must not be blank', code: 'invalid' }],
      instance: '/notes',
    };
    answerWith(422, problem, { 'content-type': 'application/problem+json' });
    const answer = await call(createNoteRoute, { body: { content: ' ', resource_type: 'deal', resource_id: ID } });
    expect(answer).toMatchObject({ ok: false, status: 422 });
    expect(answer.body).toEqual(problem);
    if (answer.ok) throw new Error('expected a problem');
    expect(answer.body.errors?.[0]?.field).toBe('body.content');
  });

  it("surfaces the gateway's own 401 for a refused token", async () => {
    const stranger = routeClient({ baseUrl, token: 'forged' });
    const answer = await stranger(getNoteRoute, { params: { id: ID } });
    expect(answer.ok).toBe(false);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    expect(answer.body).toMatchObject({
      status: 401,
      code: 'unauthenticated',
      title: 'Unauthorized',
      detail: expect.stringContaining('refused'),
    });
    expect(seen).toEqual([]);
  });

  it('wraps an error body that is not a problem into one: JSON keeps its fields, text becomes the detail', async () => {
    answerWith(403, { message: 'Forbidden' });
    const json = await call(getNoteRoute, { params: { id: ID } });
    expect(json).toMatchObject({ ok: false, status: 403 });
    expect(json.body).toEqual({
      type: 'about:blank',
      code: 'forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'Forbidden',
      message: 'Forbidden',
    });
    answerWith(502, '<html>Bad Gateway</html>', { 'content-type': 'text/html' });
    const html = await call(getNoteRoute, { params: { id: ID } });
    expect(html.body).toEqual({
      type: 'about:blank',
      code: 'internal_error',
      title: 'Bad Gateway',
      status: 502,
      detail: '<html>Bad Gateway</html>',
    });
  });

  it('rejects a 2xx answer that is not JSON', async () => {
    answerWith(200, 'plain words', { 'content-type': 'text/plain' });
    const error = await call(getNoteRoute, { params: { id: ID } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnexpectedAnswerError);
    expect(error).toMatchObject({ status: 200, text: 'plain words' });
    answerWith(200, '{not json');
    await expect(call(getNoteRoute, { params: { id: ID } })).rejects.toThrow(UnexpectedAnswerError);
  });
});

describe('routeClient: the types', () => {
  it('takes z.input of the route schemas and gives z.output of the response on 2xx', () => {
    expectTypeOf<RouteInput<typeof getNoteRoute>['params']>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<RouteInput<typeof getNoteRoute>['body']>().toEqualTypeOf<undefined>();
    expectTypeOf<NonNullable<RouteInput<typeof createDealRoute>['body']>>().toEqualTypeOf<z.input<typeof createDealInput>>();
    expectTypeOf<NonNullable<RouteInput<typeof listLeadsRoute>['query']>>().toEqualTypeOf<
      z.input<NonNullable<(typeof listLeadsRoute)['query']>>
    >();
    expectTypeOf<NonNullable<RouteInput<typeof listDealsRoute>['query']>['hot']>().toEqualTypeOf<'true' | 'false' | undefined>();
    expectTypeOf<NonNullable<RouteInput<typeof getCustomFieldRoute>['params']>['resource_type']>().toEqualTypeOf<
      'leads' | 'contacts' | 'deals'
    >();

    expectTypeOf<ResponseBody<typeof getNoteRoute>>().toEqualTypeOf<z.output<typeof noteSchema>>();
    expectTypeOf<ResponseBody<typeof createDealRoute>>().toEqualTypeOf<z.output<typeof dealSchema>>();
    expectTypeOf<ResponseBody<typeof deleteNoteRoute>>().toEqualTypeOf<undefined>();
    expectTypeOf<Extract<RouteAnswer<typeof getNoteRoute>, { ok: false }>['body']>().toEqualTypeOf<Problem>();
  });

  it('requires what the contract requires, and refuses what it does not know', () => {
    // Type checks only: never called.
    const unchecked = async () => {
      await call(listNotesRoute);
      // @ts-expect-error the id is required
      await call(getNoteRoute);
      // @ts-expect-error the search needs `q`
      await call(searchRecordsRoute, { query: {} });
      // @ts-expect-error `pinned` is not a field of a new note
      await call(createNoteRoute, { body: { content: 'x', resource_type: 'deal', resource_id: ID, pinned: true } });
      // @ts-expect-error a GET has no body
      await call(getNoteRoute, { params: { id: ID }, body: { content: 'x' } });
      // @ts-expect-error query booleans are the strings "true" and "false"
      await call(listDealsRoute, { query: { hot: true } });
      const answer = await call(getNoteRoute, { params: { id: ID } });
      expectTypeOf(answer).toEqualTypeOf<RouteAnswer<typeof getNoteRoute>>();
      // @ts-expect-error the body is a note or a problem until `ok` says which
      void answer.body.content;
      if (answer.ok) expectTypeOf(answer.body.content).toEqualTypeOf<string>();
      else expectTypeOf(answer.body.detail).toEqualTypeOf<string>();
    };
    expect(typeof unchecked).toBe('function');
  });
});
