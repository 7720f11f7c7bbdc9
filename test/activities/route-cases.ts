import type { RouteCase } from '#test/helpers/route-case-types.ts';
import { recordOf, type RecordCollection } from '#test/notes/route-cases.ts';

// The feed answers within the caller's scope (every role 200); a record's timeline follows its
// record: 404 wherever the owner is out of reach.

const recordActivities = (collection: RecordCollection): RouteCase => ({
  kind: 'owned',
  call: async (f, owner) => ({ path: `/${collection}/${(await recordOf(f, collection, owner)).id}/activities?limit=5` }),
});

export const activityCases: Record<string, RouteCase> = {
  listActivities: { kind: 'unowned', call: async () => ({ path: '/activities?limit=5' }) },
  listLeadActivities: recordActivities('leads'),
  listContactActivities: recordActivities('contacts'),
  listDealActivities: recordActivities('deals'),
};
