import * as z from 'zod/mini';
import { activitySchema } from '#shared/activities/domain.ts';
import { appointmentSchema } from '#shared/appointments/domain.ts';
import { dealBoardSchema } from '#shared/deals/domain.ts';
import { outcomeSummarySchema } from '#shared/outcomes/domain.ts';
import { taskViewSchema } from '#shared/tasks/domain.ts';

// The first screen (SPEC §1, F1.2–F1.5) as one answer: every panel in the caller's scope.

/** Open tasks the dashboard shows at most (overdue first, then by due time). */
export const DASHBOARD_TASKS = 10;
/** Latest activity entries the dashboard shows at most. */
export const DASHBOARD_ACTIVITIES = 20;
/** Upcoming appointments the dashboard shows at most. */
export const DASHBOARD_APPOINTMENTS = 10;

/** The activity panel: the latest entries of the caller's feed (F1.4, GET /activities), newest first. */
export const activityPanelSchema = z.object({
  items: z.array(activitySchema),
});
export type ActivityPanel = z.output<typeof activityPanelSchema>;

/** The caller's next appointments (owned or attended), from now on in start order; `more` when there are further ones. */
export const appointmentPanelSchema = z.object({
  items: z.array(appointmentSchema),
  more: z.boolean(),
});
export type AppointmentPanel = z.output<typeof appointmentPanelSchema>;

export const dashboardSchema = z.object({
  /** F1.2: per-stage counts and values of the chosen (default: the oldest) pipeline; null when there is none. */
  pipeline: z.nullable(dealBoardSchema),
  /** F1.3: won, lost, unqualified in the window (default the last 30 days). */
  outcomes: outcomeSummarySchema,
  /** F1.4: the latest activity. */
  activities: activityPanelSchema,
  /** F1.5: the caller's open tasks, overdue ones first and flagged (`overdue`). */
  tasks: z.object({ items: z.array(taskViewSchema), more: z.boolean() }),
  /** F1.5: the caller's upcoming appointments. */
  appointments: appointmentPanelSchema,
});
export type Dashboard = z.output<typeof dashboardSchema>;
