import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes tasks answer with (docs/error-codes.md lists them all).

export const taskErrorCodes = /* @__PURE__ */ defineErrorCodes('tasks', {
  'task.not_found': { status: 404, title: 'Task not found', description: 'No task has this id, or you may not see it.' },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    tasks: typeof taskErrorCodes;
  }
}
