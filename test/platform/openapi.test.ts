import { describe, expect, it } from 'vitest';
import { allRoutes, errorCodes } from '#shared/families.ts';
import { openApiDocument } from '#shared/platform/http/openapi.ts';

// The OpenAPI document lists the answers each operation can give, so that generated clients
// handle them: every write can meet a conflict (409), every conditional one a stale If-Match (412).

const doc = openApiDocument(allRoutes, { title: 'CRM API', version: '1' }, errorCodes) as {
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: unknown }> }>>;
};
const operations = Object.values(doc.paths).flatMap((methods) =>
  Object.entries(methods).map(([method, operation]) => ({ method, ...operation })),
);

describe('OpenAPI responses', () => {
  it('lists 409 for every write, as a problem', () => {
    const writes = operations.filter((o) => o.method !== 'get');
    expect(writes.length).toBeGreaterThan(30);
    for (const o of writes) expect(o.responses['409'], o.operationId).toMatchObject({ content: expect.anything() });
    expect(operations.find((o) => o.operationId === 'convertLead')!.responses['409']).toBeDefined();
  });

  it('lists 412 for every route that takes If-Match', () => {
    for (const route of allRoutes.filter((r) => r.conditional)) {
      const operation = operations.find((o) => o.operationId === route.id)!;
      expect(operation.responses['412'], route.id).toBeDefined();
    }
  });

  it('states the default order of every sortable list', () => {
    const sortable = operations.filter((o) => ['listDeals', 'listLeads', 'listContacts'].includes(o.operationId));
    expect(sortable).toHaveLength(3);
    for (const o of sortable) {
      const parameters = (o as unknown as { parameters: { name: string; schema: { description?: string } }[] }).parameters;
      expect(parameters.find((p) => p.name === 'sort_order')?.schema.description, o.operationId).toMatch(/desc .* by default/);
      expect(parameters.find((p) => p.name === 'sort_by')?.schema.description, o.operationId).toMatch(
        /created_at \(the default\)/,
      );
    }
  });

  it('lists no 409 for reads, which never conflict', () => {
    for (const o of operations.filter((o) => o.method === 'get')) expect(o.responses['409'], o.operationId).toBeUndefined();
  });
});
