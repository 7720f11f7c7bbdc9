import type { AnyRoute } from '#shared/platform/http/contract.ts';
import { customFieldRoutes } from '#shared/custom-fields/routes.ts';
import { dealRoutes, listDealsRoute } from '#shared/deals/routes.ts';
import { contactRoutes, listContactsRoute } from '#shared/contacts/routes.ts';
import { identityRoutes } from '#shared/identity/routes.ts';
import { accessTokenRoutes } from '#shared/access-tokens/routes.ts';
import { sellFacadeRoutes } from '#shared/sell-facade/routes.ts';
import { accessTokenErrorCodes } from '#shared/access-tokens/errors.ts';
import { convertLeadRoute } from '#shared/lead-conversion/routes.ts';
import { leadRoutes, listLeadsRoute } from '#shared/leads/routes.ts';
import { noteRoutes } from '#shared/notes/routes.ts';
import { taskRoutes } from '#shared/tasks/routes.ts';
import { appointmentRoutes } from '#shared/appointments/routes.ts';
import { documentRoutes } from '#shared/documents/routes.ts';
import { captureFormRoutes } from '#shared/capture-forms/routes.ts';
import { calendarRoutes } from '#shared/calendar/routes.ts';
import { importRoutes } from '#shared/imports/routes.ts';
import { sellImportRoutes } from '#shared/sell-import/routes.ts';
import { bulkOperationRoutes } from '#shared/bulk-operations/routes.ts';
import { exportRoutes } from '#shared/exports/routes.ts';
import { pipelineRoutes } from '#shared/pipelines/routes.ts';
import { searchRoutes } from '#shared/search/routes.ts';
import { dashboardRoutes } from '#shared/dashboard/routes.ts';
import { outcomeRoutes } from '#shared/outcomes/routes.ts';
import { eventRoutes } from '#shared/events/routes.ts';
import { activityRoutes } from '#shared/activities/routes.ts';
import { automationRoutes } from '#shared/automations/routes.ts';
import { notificationRoutes } from '#shared/notifications/routes.ts';
import { liveRoutes } from '#shared/live/routes.ts';
import { emailRoutes } from '#shared/emails/routes.ts';
import { emailErrorCodes } from '#shared/emails/errors.ts';
import { platformRoutes } from '#shared/platform/http/platform-routes.ts';
import { kernelErrorCodes, listErrorCodes, type ErrorCatalogue, type ErrorCodeEntry } from '#shared/kernel/error-codes.ts';
import { platformErrorCodes } from '#shared/platform/http/problem.ts';
import { identityErrorCodes } from '#shared/identity/errors.ts';
import { pipelineErrorCodes } from '#shared/pipelines/errors.ts';
import { customFieldErrorCodes } from '#shared/custom-fields/errors.ts';
import { dealErrorCodes } from '#shared/deals/errors.ts';
import { leadErrorCodes } from '#shared/leads/errors.ts';
import { leadConversionErrorCodes } from '#shared/lead-conversion/errors.ts';
import { contactErrorCodes } from '#shared/contacts/errors.ts';
import { noteErrorCodes } from '#shared/notes/errors.ts';
import { taskErrorCodes } from '#shared/tasks/errors.ts';
import { appointmentErrorCodes } from '#shared/appointments/errors.ts';
import { documentErrorCodes } from '#shared/documents/errors.ts';
import { captureFormErrorCodes } from '#shared/capture-forms/errors.ts';
import { calendarErrorCodes } from '#shared/calendar/errors.ts';
import { importErrorCodes } from '#shared/imports/errors.ts';
import { bulkOperationErrorCodes } from '#shared/bulk-operations/errors.ts';
import { exportErrorCodes } from '#shared/exports/errors.ts';
import { sellImportErrorCodes } from '#shared/sell-import/errors.ts';
import { eventErrorCodes } from '#shared/events/errors.ts';
import { notificationErrorCodes } from '#shared/notifications/errors.ts';
import { notificationRuleRoutes } from '#shared/notifications/rule-routes.ts';
import { invitationRoutes } from '#shared/invitations/routes.ts';
import { invitationErrorCodes } from '#shared/invitations/errors.ts';
import { callRoutes, voiceWebhookRoutes } from '#shared/calls/routes.ts';
import { callErrorCodes } from '#shared/calls/errors.ts';
import { mailboxRoutes } from '#shared/mailboxes/routes.ts';
import { mailboxErrorCodes } from '#shared/mailboxes/errors.ts';

// Every route of the API. API Gateway, the local server, the OpenAPI document and the
// authorization matrix test all read this list.
export const allRoutes: readonly AnyRoute[] = [
  ...platformRoutes,
  ...identityRoutes,
  ...accessTokenRoutes,
  ...pipelineRoutes,
  ...customFieldRoutes,
  ...dealRoutes,
  ...leadRoutes,
  convertLeadRoute,
  ...contactRoutes,
  ...noteRoutes,
  ...taskRoutes,
  ...appointmentRoutes,
  ...documentRoutes,
  ...captureFormRoutes,
  ...calendarRoutes,
  ...importRoutes,
  ...sellImportRoutes,
  ...bulkOperationRoutes,
  ...exportRoutes,
  ...searchRoutes,
  ...dashboardRoutes,
  ...outcomeRoutes,
  ...eventRoutes,
  ...activityRoutes,
  ...automationRoutes,
  ...notificationRoutes,
  ...notificationRuleRoutes,
  ...liveRoutes,
  ...emailRoutes,
  ...mailboxRoutes,
  ...sellFacadeRoutes,
  ...invitationRoutes,
  ...callRoutes,
  ...voiceWebhookRoutes,
];

// Every error catalogue: the generic codes, then each family's errors.ts. docs/error-codes.md
// and the OpenAPI document read this list; a test checks it holds every shared/*/errors.ts.
/**
 * The list query schema of each resource a CSV export reads (shared/exports): an export's
 * filters are parsed as its list's query string, by the list route itself.
 */
export const exportListQueries = {
  leads: listLeadsRoute.query!,
  contacts: listContactsRoute.query!,
  deals: listDealsRoute.query!,
} as const;

export const errorCatalogues: readonly ErrorCatalogue[] = [
  kernelErrorCodes,
  platformErrorCodes,
  identityErrorCodes,
  accessTokenErrorCodes,
  pipelineErrorCodes,
  customFieldErrorCodes,
  dealErrorCodes,
  leadErrorCodes,
  leadConversionErrorCodes,
  contactErrorCodes,
  noteErrorCodes,
  taskErrorCodes,
  appointmentErrorCodes,
  documentErrorCodes,
  captureFormErrorCodes,
  calendarErrorCodes,
  importErrorCodes,
  bulkOperationErrorCodes,
  exportErrorCodes,
  eventErrorCodes,
  notificationErrorCodes,
  emailErrorCodes,
  mailboxErrorCodes,
  invitationErrorCodes,
  callErrorCodes,
  sellImportErrorCodes,
];

/** Every catalogued code, in catalogue order (throws at load when a code is declared twice). */
export const errorCodes: readonly ErrorCodeEntry[] = listErrorCodes(errorCatalogues);
