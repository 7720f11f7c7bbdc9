import { DynamoDealRepository } from '#shared/deals/dynamodb.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { outcomeReadAdapters } from '#shared/outcomes/runtime.ts';
import { taskAdapters } from '#shared/tasks/runtime.ts';
import type { RecentActivitiesForPrincipal, UpcomingAppointmentsForPrincipal } from './ports.ts';
import type { DashboardDeps } from './use-cases.ts';

// The dashboard's adapters, built once per container.

/** Until the activity feed (shared/activities/) is wired in here, the panel says it is not there. */
export const noActivityFeed: RecentActivitiesForPrincipal = {
  recent: async () => ({ available: false, explanation: 'The activity feed is not part of this deployment yet.', items: [] }),
};

/** Appointments come with their own issue; until then the panel is empty. */
export const noAppointments: UpcomingAppointmentsForPrincipal = {
  upcoming: async () => ({ items: [] }),
};

let deps: DashboardDeps | undefined;

export function dashboardAdapters(): DashboardDeps {
  // The deals' board without the rest of the deals module: no custom field catalog is loaded,
  // so no request pays its version check (shared/app.ts).
  const pipelines = pipelineAdapters().pipelines;
  const outcomes = outcomeReadAdapters();
  deps ??= {
    deals: {
      deals: new DynamoDealRepository(crmTable()),
      stages: pipelines,
      defaultPipelineId: async () => (await pipelines.listPipelines({ limit: 1 })).items[0]?.id,
      teamMemberIds: outcomes.teamMemberIds,
    },
    outcomes,
    tasks: taskAdapters(),
    activities: noActivityFeed,
    appointments: noAppointments,
  };
  return deps;
}
