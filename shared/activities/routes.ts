import * as z from 'zod/mini';
import { idSchema } from '#shared/kernel/schema.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, pageOf, pageQueryFields } from '#shared/platform/http/schemas.ts';
import { dateTimeSchema } from '#shared/tasks/domain.ts';
import { ACTIVITY_RECORD_TYPES, ACTIVITY_VERBS, activitySchema } from './domain.ts';

// The activity feed (F1.4): the caller's scope, and a record's timeline under the record's path.

const family = 'activities';
const tags = ['activities'];

export const listActivitiesRoute = route({
  id: 'listActivities',
  method: 'GET',
  path: '/activities',
  family,
  summary: 'List activity in the caller scope, newest first',
  access: ALL_ROLES,
  query: z.strictObject({
    ...pageQueryFields,
    kind: z.optional(z.enum(ACTIVITY_VERBS)),
    user_id: z.optional(idSchema),
    team_id: z.optional(idSchema),
    record_type: z.optional(z.enum(ACTIVITY_RECORD_TYPES)),
    from: z.optional(dateTimeSchema),
    to: z.optional(dateTimeSchema),
  }),
  response: pageOf(activitySchema),
  status: 200,
  tags,
});

const recordActivitiesRoute = (id: string, collection: 'leads' | 'contacts' | 'deals', noun: string) =>
  route({
    id,
    method: 'GET',
    path: `/${collection}/{id}/activities`,
    family,
    summary: `List a ${noun}'s activity, newest first`,
    access: ALL_ROLES,
    params: idParams,
    query: z.strictObject(pageQueryFields),
    response: pageOf(activitySchema),
    status: 200,
    tags,
  });

export const listLeadActivitiesRoute = recordActivitiesRoute('listLeadActivities', 'leads', 'lead');
export const listContactActivitiesRoute = recordActivitiesRoute('listContactActivities', 'contacts', 'contact');
export const listDealActivitiesRoute = recordActivitiesRoute('listDealActivities', 'deals', 'deal');

export const activityRoutes = [
  listActivitiesRoute,
  listLeadActivitiesRoute,
  listContactActivitiesRoute,
  listDealActivitiesRoute,
] as const;
