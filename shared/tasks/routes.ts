import * as z from 'zod/mini';
import { relatedRecordTypeSchema } from '#shared/kernel/related-records.ts';
import { idSchema } from '#shared/kernel/schema.ts';
import { createTaskInput, dateTimeSchema, taskViewSchema, updateTaskInput } from './domain.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, pageOf, pageQueryFields, queryBoolean } from '#shared/platform/http/schemas.ts';

// Tasks (F8.1–F8.4): "own" is the assignee. Lists are open tasks first by due time (overdue
// ones lead), then completed ones. A record's tasks are also served under the record's path,
// by this family.

const family = 'tasks';
const tags = ['tasks'];

const filterFields = {
  ...pageQueryFields,
  owner_id: z.optional(idSchema),
  completed: z.optional(queryBoolean),
  overdue: z.optional(queryBoolean),
  due_from: z.optional(dateTimeSchema),
  due_to: z.optional(dateTimeSchema),
};

export const listTasksRoute = route({
  id: 'listTasks',
  method: 'GET',
  path: '/tasks',
  family,
  summary: 'List tasks, open ones first by due time',
  access: ALL_ROLES,
  query: z.strictObject({
    ...filterFields,
    resource_type: z.optional(relatedRecordTypeSchema),
    resource_id: z.optional(idSchema),
  }),
  response: pageOf(taskViewSchema),
  status: 200,
  tags,
});

export const getTaskRoute = route({
  id: 'getTask',
  method: 'GET',
  path: '/tasks/{id}',
  family,
  summary: 'Read a task',
  access: ALL_ROLES,
  params: idParams,
  response: taskViewSchema,
  status: 200,
  tags,
});

export const createTaskRoute = route({
  id: 'createTask',
  method: 'POST',
  path: '/tasks',
  family,
  summary: 'Create a task',
  access: ALL_ROLES,
  body: createTaskInput,
  response: taskViewSchema,
  status: 201,
  idempotent: true,
  tags,
});

export const updateTaskRoute = route({
  id: 'updateTask',
  method: 'PATCH',
  path: '/tasks/{id}',
  family,
  summary: 'Change, reassign or complete a task',
  access: ALL_ROLES,
  params: idParams,
  body: updateTaskInput,
  response: taskViewSchema,
  status: 200,
  conditional: true,
  tags,
});

export const deleteTaskRoute = route({
  id: 'deleteTask',
  method: 'DELETE',
  path: '/tasks/{id}',
  family,
  summary: 'Delete a task',
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  conditional: true,
  tags,
});

const recordTasksRoute = (id: string, collection: 'leads' | 'contacts' | 'deals', noun: string) =>
  route({
    id,
    method: 'GET',
    path: `/${collection}/{id}/tasks`,
    family,
    summary: `List a ${noun}'s tasks, open ones first by due time`,
    access: ALL_ROLES,
    params: idParams,
    query: z.strictObject(filterFields),
    response: pageOf(taskViewSchema),
    status: 200,
    tags,
  });

export const listLeadTasksRoute = recordTasksRoute('listLeadTasks', 'leads', 'lead');
export const listContactTasksRoute = recordTasksRoute('listContactTasks', 'contacts', 'contact');
export const listDealTasksRoute = recordTasksRoute('listDealTasks', 'deals', 'deal');

export const taskRoutes = [
  listTasksRoute,
  getTaskRoute,
  createTaskRoute,
  updateTaskRoute,
  deleteTaskRoute,
  listLeadTasksRoute,
  listContactTasksRoute,
  listDealTasksRoute,
] as const;
