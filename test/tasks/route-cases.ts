import type { DevUser } from '#infra/local/seed.ts';
import { recordOf, type RecordCollection } from '#test/notes/route-cases.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Tasks are owned by their assignee: the matrix calls these routes on a task assigned to the
// caller, to a direct report and to someone else. Creating one is "owned" through its record
// (the caller must see the deal it links to); assigning to others is covered by the e2e tests.

/** A task assigned to `owner`, made by the admin. */
const taskOf = (f: Fixtures, owner: DevUser) =>
  f.asAdmin<{ id: string }>('POST', '/tasks', { content: `Task ${f.unique()}`, owner_id: owner.user_id });

const recordTasks = (collection: RecordCollection): RouteCase => ({
  kind: 'owned',
  call: async (f, owner) => ({ path: `/${collection}/${(await recordOf(f, collection, owner)).id}/tasks?limit=5` }),
});

export const taskCases: Record<string, RouteCase> = {
  listTasks: { kind: 'unowned', call: async () => ({ path: '/tasks?limit=5' }) },
  getTask: { kind: 'owned', call: async (f, owner) => ({ path: `/tasks/${(await taskOf(f, owner)).id}` }) },
  createTask: {
    kind: 'owned',
    call: async (f, owner) => {
      const { resource_type, resource_id } = await recordOf(f, 'deals', owner);
      return { path: '/tasks', body: { content: 'Matrix task', resource_type, resource_id } };
    },
  },
  updateTask: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/tasks/${(await taskOf(f, owner)).id}`, body: { completed: true } }),
  },
  deleteTask: { kind: 'owned', call: async (f, owner) => ({ path: `/tasks/${(await taskOf(f, owner)).id}` }) },
  listLeadTasks: recordTasks('leads'),
  listContactTasks: recordTasks('contacts'),
  listDealTasks: recordTasks('deals'),
};
