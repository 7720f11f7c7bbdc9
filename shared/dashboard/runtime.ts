import { recentActivities, type ActivitiesDeps } from '#shared/activities/use-cases.ts';
import { activityAdapters } from '#shared/activities/runtime.ts';
import { DynamoDealRepository } from '#shared/deals/dynamodb.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { outcomeReadAdapters } from '#shared/outcomes/runtime.ts';
import { taskAdapters } from '#shared/tasks/runtime.ts';
import { appointmentAdapters } from '#shared/appointments/runtime.ts';
import { upcomingAppointments, type AppointmentsDeps } from '#shared/appointments/use-cases.ts';
import type { RecentActivitiesForPrincipal, UpcomingAppointmentsForPrincipal } from './ports.ts';
import type { DashboardDeps } from './use-cases.ts';

// The dashboard's adapters, built once per container.

/** The activity feed's latest entries in the caller's scope (a rep: 1 Query; a manager: 1 + direct reports). */
export function feedActivities(store: ActivitiesDeps['store']): RecentActivitiesForPrincipal {
  return { recent: async (call, limit) => ({ items: await recentActivities({ store }, call.principal, { limit }) }) };
}

/** The caller's next appointments from their calendar (1 Query). */
export function calendarAppointments(deps: AppointmentsDeps): UpcomingAppointmentsForPrincipal {
  return { upcoming: (call, limit) => upcomingAppointments(deps, call, limit) };
}

let deps: DashboardDeps | undefined;

/** How long a container trusts the default (oldest) pipeline's id: it changes only when that pipeline is deleted. */
export const DEFAULT_PIPELINE_TTL_MS = 60_000;

/**
 * The default pipeline's id, kept `ttlMs` (ms) by the container: a warm dashboard then skips
 * its Query. `forget` drops it (its pipeline was deleted meanwhile: composeDashboard asks again).
 */
export function cachedDefaultPipeline(
  read: () => Promise<string | undefined>,
  ttlMs = DEFAULT_PIPELINE_TTL_MS,
  now: () => number = Date.now,
): { get: () => Promise<string | undefined>; forget: () => void } {
  let cached: { id: string | undefined; at: number } | undefined;
  return {
    get: async () => {
      if (cached && now() - cached.at < ttlMs) return cached.id;
      const id = await read();
      cached = { id, at: now() };
      return id;
    },
    forget: () => {
      cached = undefined;
    },
  };
}

export function dashboardAdapters(): DashboardDeps {
  // The deals' board without the rest of the deals module: no custom field catalog is loaded,
  // so no request pays its version check (shared/app.ts).
  const pipelines = pipelineAdapters().pipelines;
  const outcomes = outcomeReadAdapters();
  const defaultPipeline = cachedDefaultPipeline(async () => (await pipelines.listPipelines({ limit: 1 })).items[0]?.id);
  deps ??= {
    deals: {
      deals: new DynamoDealRepository(crmTable()),
      stages: pipelines,
      defaultPipelineId: defaultPipeline.get,
      teamMemberIds: outcomes.teamMemberIds,
    },
    outcomes,
    tasks: taskAdapters(),
    activities: feedActivities(activityAdapters().store),
    appointments: calendarAppointments(appointmentAdapters()),
    forgetDefaultPipeline: defaultPipeline.forget,
  };
  return deps;
}
