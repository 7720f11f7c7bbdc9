import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Custom field definitions: everyone reads, admins write.

const freshField = async (f: Fixtures) =>
  f.asAdmin<{ id: string }>('POST', '/custom_fields/deals', { name: `Field ${f.unique()}`, type: 'string' });

export const customFieldCases: Record<string, RouteCase> = {
  listCustomFields: { kind: 'unowned', call: async () => ({ path: '/custom_fields/deals?limit=5' }) },
  getCustomField: { kind: 'unowned', call: async (f) => ({ path: `/custom_fields/deals/${(await freshField(f)).id}` }) },
  createCustomField: {
    kind: 'unowned',
    call: async (f) => ({ path: '/custom_fields/leads', body: { name: `Field ${f.unique()}`, type: 'number' } }),
  },
  updateCustomField: {
    kind: 'unowned',
    call: async (f) => ({ path: `/custom_fields/deals/${(await freshField(f)).id}`, body: { name: `Renamed ${f.unique()}` } }),
  },
  deleteCustomField: { kind: 'unowned', call: async (f) => ({ path: `/custom_fields/deals/${(await freshField(f)).id}` }) },
};
