import { contactCases } from '#test/contacts/route-cases.ts';
import { customFieldCases } from '#test/custom-fields/route-cases.ts';
import { conversionCases } from '#test/lead-conversion/route-cases.ts';
import { leadCases } from '#test/leads/route-cases.ts';
import { noteCases } from '#test/notes/route-cases.ts';
import { taskCases } from '#test/tasks/route-cases.ts';
import { appointmentCases } from '#test/appointments/route-cases.ts';
import { invitationCases } from '#test/invitations/route-cases.ts';
import { documentCases } from '#test/documents/route-cases.ts';
import { captureFormCases } from '#test/capture-forms/route-cases.ts';
import { importCases } from '#test/imports/route-cases.ts';
import { bulkOperationCases } from '#test/bulk-operations/route-cases.ts';
import { exportCases } from '#test/exports/route-cases.ts';
import { sellImportCases } from '#test/sell-import/route-cases.ts';
import { dealCases } from '#test/deals/route-cases.ts';
import { identityCases } from '#test/identity/route-cases.ts';
import { accessTokenCases } from '#test/access-tokens/route-cases.ts';
import { sellFacadeCases } from '#test/sell-facade/route-cases.ts';
import { pipelineCases } from '#test/pipelines/route-cases.ts';
import { searchCases } from '#test/search/route-cases.ts';
import { dashboardCases } from '#test/dashboard/route-cases.ts';
import { eventCases } from '#test/events/route-cases.ts';
import { activityCases } from '#test/activities/route-cases.ts';
import { automationCases } from '#test/automations/route-cases.ts';
import { notificationCases } from '#test/notifications/route-cases.ts';
import { liveCases } from '#test/live/route-cases.ts';
import { emailCases } from '#test/emails/route-cases.ts';
import { mailboxCases } from '#test/mailboxes/route-cases.ts';
import { calendarCases } from '#test/calendar/route-cases.ts';
import { callCases } from '#test/calls/route-cases.ts';
import type { RouteCase } from './route-case-types.ts';

export type { Fixtures, Relation, RouteCall, RouteCase } from './route-case-types.ts';

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
  ...accessTokenCases,
  ...sellFacadeCases,
  ...pipelineCases,
  ...customFieldCases,
  ...dealCases,
  ...leadCases,
  ...conversionCases,
  ...contactCases,
  ...noteCases,
  ...taskCases,
  ...appointmentCases,
  ...documentCases,
  ...captureFormCases,
  ...calendarCases,
  ...importCases,
  ...sellImportCases,
  ...bulkOperationCases,
  ...exportCases,
  ...searchCases,
  ...dashboardCases,
  ...eventCases,
  ...activityCases,
  ...automationCases,
  ...notificationCases,
  ...liveCases,
  ...emailCases,
  ...mailboxCases,
  ...invitationCases,
  ...callCases,
};
