import type { Call } from '#shared/kernel/ports.ts';
import type { ActivityPanel, AppointmentPanel } from './domain.ts';

/** The latest activity entries the principal may see (F1.4), newest first: the activity feed's (shared/activities/). */
export interface RecentActivitiesForPrincipal {
  recent(call: Call, limit: number): Promise<ActivityPanel>;
}

/** The principal's upcoming appointments: their own calendar from now on (shared/appointments/). */
export interface UpcomingAppointmentsForPrincipal {
  upcoming(call: Call, limit: number): Promise<AppointmentPanel>;
}
