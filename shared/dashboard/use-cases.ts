import { dealSummary } from '#shared/deals/board.ts';
import type { DealsDeps } from '#shared/deals/use-cases.ts';
import { NotFoundError } from '#shared/kernel/errors.ts';
import type { Call } from '#shared/kernel/ports.ts';
import { outcomeWindow, type OutcomeReadDeps, type OutcomeRequest } from '#shared/outcomes/use-cases.ts';
import { listTasks, type TasksDeps } from '#shared/tasks/use-cases.ts';
import { DASHBOARD_ACTIVITIES, DASHBOARD_APPOINTMENTS, DASHBOARD_TASKS, type Dashboard } from './domain.ts';
import type { RecentActivitiesForPrincipal, UpcomingAppointmentsForPrincipal } from './ports.ts';

// GET /dashboard: the panels of the first screen read at once, each from its own read model
// (deal board counters, outcome buckets, the activity feed, the task list), never by counting
// records. Requests: see composeDashboard.

export interface DashboardDeps {
  deals: Pick<DealsDeps, 'deals' | 'stages' | 'teamMemberIds' | 'defaultPipelineId'>;
  outcomes: OutcomeReadDeps;
  tasks: TasksDeps;
  activities: RecentActivitiesForPrincipal;
  appointments: UpcomingAppointmentsForPrincipal;
  /** Drops a cached default pipeline id (that pipeline was deleted meanwhile); absent when none is cached. */
  forgetDefaultPipeline?: () => void;
}

export interface DashboardRequest extends OutcomeRequest {
  pipeline_id?: string | undefined;
}

/**
 * Every panel in the caller's scope. `user_id` and `team_id` narrow the pipeline and outcome
 * panels (as GET /deals/summary and GET /stats/outcomes do); tasks and appointments are the
 * caller's own. DynamoDB requests, beside the caller's lookup: the default pipeline (1, none
 * when `pipeline_id` is given or the container knows it), its stages (1), the board counters (1), the outcome window (1
 * per scope and range: 1 for a rep's default window), the open tasks (1 per owner: 1), the
 * upcoming appointments (1: the caller's calendar), the activity feed (its own); a team narrowing adds 1 (the members) per panel.
 */
export async function composeDashboard(deps: DashboardDeps, call: Call, request: DashboardRequest): Promise<Dashboard> {
  const { pipeline_id, ...window } = request;
  const summary = (id: string) =>
    dealSummary(deps.deals as DealsDeps, call, { pipeline_id: id, owner_id: request.user_id, team_id: request.team_id });
  const pipeline = async () => {
    if (pipeline_id) return summary(pipeline_id);
    const id = await deps.deals.defaultPipelineId();
    if (!id) return null;
    try {
      return await summary(id);
    } catch (error) {
      // The cached default was deleted meanwhile: ask again, once.
      if (!(error instanceof NotFoundError) || !deps.forgetDefaultPipeline) throw error;
      deps.forgetDefaultPipeline();
      const fresh = await deps.deals.defaultPipelineId();
      return fresh ? summary(fresh) : null;
    }
  };
  const tasks = async () => {
    const page = await listTasks(deps.tasks, call, {
      owner_id: call.principal.user_id,
      completed: false,
      limit: DASHBOARD_TASKS,
    });
    return { items: page.items, more: page.next_cursor !== null };
  };
  const [board, outcomes, activities, openTasks, appointments] = await Promise.all([
    pipeline(),
    outcomeWindow(deps.outcomes, call, window),
    deps.activities.recent(call, DASHBOARD_ACTIVITIES),
    tasks(),
    deps.appointments.upcoming(call, DASHBOARD_APPOINTMENTS),
  ]);
  return { pipeline: board, outcomes, activities, tasks: openTasks, appointments };
}
