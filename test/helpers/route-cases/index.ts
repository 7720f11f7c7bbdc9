import { contactCases } from './contacts.ts';
import { customFieldCases } from './custom-fields.ts';
import { conversionCases } from './lead-conversion.ts';
import { leadCases } from './leads.ts';
import { noteCases } from './notes.ts';
import { taskCases } from './tasks.ts';
import { dealCases } from './deals.ts';
import { identityCases } from './identity.ts';
import { pipelineCases } from './pipelines.ts';
import { searchCases } from './search.ts';
import type { RouteCase } from './types.ts';

export type { Fixtures, Relation, RouteCall, RouteCase } from './types.ts';

// How to call each route in the authorization matrix, one file per resource family. Every
// route in allRoutes needs an entry (the matrix fails otherwise), so a new route cannot ship
// without its rows.

const platformCases: Record<string, RouteCase> = {
  getHealth: { kind: 'public', call: async () => ({ path: '/health' }) },
  getOpenApi: { kind: 'public', call: async () => ({ path: '/openapi.json' }) },
};

export const routeCases: Record<string, RouteCase> = {
  ...platformCases,
  ...identityCases,
  ...pipelineCases,
  ...customFieldCases,
  ...dealCases,
  ...leadCases,
  ...conversionCases,
  ...contactCases,
  ...noteCases,
  ...taskCases,
  ...searchCases,
};
