import { createRootRouteWithContext, createRoute, createRouter, lazyRouteComponent, redirect } from '@tanstack/react-router';
import type { QueryClient } from '@tanstack/react-query';
import { session } from './auth.ts';
import { Shell } from './ui/Shell.tsx';

// Code-based routes; every page but sign-in loads on first visit (its own chunk), so the initial
// JavaScript is the shell. List filters and sorting live in the URL (validated search params).

const rootRoute = createRootRouteWithContext<{ queryClient: QueryClient }>()();

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/signin',
  validateSearch: (s: Record<string, unknown>) => ({ next: typeof s.next === 'string' ? s.next : undefined }),
  component: lazyRouteComponent(() => import('./pages/SignIn.tsx'), 'SignIn'),
});

// The public RSVP page an invitation's links open: outside the signed-in shell (no sign-in asked).
const rsvpRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/rsvp/$token',
  validateSearch: (s: Record<string, unknown>) => ({
    response: ['accepted', 'tentative', 'declined'].includes(String(s.response))
      ? (s.response as 'accepted' | 'tentative' | 'declined')
      : undefined,
  }),
  component: lazyRouteComponent(() => import('./pages/Rsvp.tsx'), 'Rsvp'),
});

const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: 'app',
  beforeLoad: ({ location }) => {
    if (!session()) throw redirect({ to: '/signin', search: { next: location.href } });
  },
  component: Shell,
});

/** The activity feed's verbs (GET /activities?kind=). */
export type ActivityKind = 'created' | 'completed' | 'status_changed' | 'stage_changed' | 'owner_changed';

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

const dashboardRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/',
  validateSearch: (s: Record<string, unknown>) => ({
    pipeline: str(s.pipeline),
    user: str(s.user),
    team: str(s.team),
    kind: str(s.kind) as ActivityKind | undefined,
    actor: str(s.actor),
  }),
  component: lazyRouteComponent(() => import('./pages/Dashboard.tsx'), 'Dashboard'),
});

/** The leads list's URL state: filters and sort. */
export interface LeadSearch {
  status?: 'new' | 'working' | 'unqualified' | 'converted';
  owner?: string;
  tag?: string;
  city?: string;
  sort?: 'created_at' | 'updated_at' | 'first_name' | 'last_name' | 'organization_name' | 'status';
  order?: 'asc' | 'desc';
}
const leadsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/leads',
  validateSearch: (s: Record<string, unknown>): LeadSearch => ({
    status: ['new', 'working', 'unqualified', 'converted'].includes(String(s.status))
      ? (s.status as LeadSearch['status'])
      : undefined,
    owner: str(s.owner),
    tag: str(s.tag),
    city: str(s.city),
    sort: str(s.sort) as LeadSearch['sort'],
    order: s.order === 'asc' || s.order === 'desc' ? s.order : undefined,
  }),
  component: lazyRouteComponent(() => import('./pages/Leads.tsx'), 'Leads'),
});
const leadRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/leads/$id',
  component: lazyRouteComponent(() => import('./pages/Lead.tsx'), 'Lead'),
});
const dealsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/deals',
  validateSearch: (s: Record<string, unknown>) => ({ pipeline: str(s.pipeline) }),
  component: lazyRouteComponent(() => import('./pages/Deals.tsx'), 'Deals'),
});
const dealRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/deals/$id',
  component: lazyRouteComponent(() => import('./pages/Deal.tsx'), 'Deal'),
});
const contactsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/contacts',
  validateSearch: (s: Record<string, unknown>) => ({
    kind: s.kind === 'person' || s.kind === 'organization' ? s.kind : undefined,
  }),
  component: lazyRouteComponent(() => import('./pages/Contacts.tsx'), 'Contacts'),
});
const contactRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/contacts/$id',
  component: lazyRouteComponent(() => import('./pages/Contact.tsx'), 'Contact'),
});
const tasksRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/tasks',
  validateSearch: (s: Record<string, unknown>) => ({ done: s.done === true || s.done === 'true' ? true : undefined }),
  component: lazyRouteComponent(() => import('./pages/Tasks.tsx'), 'Tasks'),
});

const notificationsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/notifications',
  component: lazyRouteComponent(() => import('./pages/Notifications.tsx'), 'Notifications'),
});

const emailRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/email',
  validateSearch: (s: Record<string, unknown>) => ({
    folder: ['unverified', 'sent', 'archived'].includes(String(s.folder))
      ? (s.folder as 'unverified' | 'sent' | 'archived')
      : undefined,
  }),
  component: lazyRouteComponent(() => import('./pages/Email.tsx'), 'EmailPage'),
});

const calendarRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/calendar',
  component: lazyRouteComponent(() => import('./pages/Calendar.tsx'), 'Calendar'),
});

const settingsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/settings',
  validateSearch: (s: Record<string, unknown>) => ({ tab: str(s.tab) }),
  component: lazyRouteComponent(() => import('./pages/Settings.tsx'), 'Settings'),
});

// An admin-started import from Zendesk Sell: its progress and report (admins; others see the refusal).
const sellImportRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/sell_imports/$id',
  component: lazyRouteComponent(() => import('./pages/SellImport.tsx'), 'SellImport'),
});

// Where a mailbox OAuth2 provider returns the browser (config mailbox_oauth's redirect URI,
// <app_url>/settings/mailboxes/oauth): `code` and `state`, or the provider's `error`.
const mailboxOAuthRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/settings/mailboxes/oauth',
  validateSearch: (s: Record<string, unknown>) => ({
    code: str(s.code),
    state: str(s.state),
    error: str(s.error),
    error_description: str(s.error_description),
  }),
  component: lazyRouteComponent(() => import('./pages/MailboxOAuth.tsx'), 'MailboxOAuth'),
});

const routeTree = rootRoute.addChildren([
  signInRoute,
  rsvpRoute,
  appRoute.addChildren([
    dashboardRoute,
    leadsRoute,
    leadRoute,
    dealsRoute,
    dealRoute,
    contactsRoute,
    contactRoute,
    tasksRoute,
    notificationsRoute,
    emailRoute,
    calendarRoute,
    settingsRoute,
    sellImportRoute,
    mailboxOAuthRoute,
  ]),
]);

export const router = createRouter({ routeTree, context: { queryClient: undefined! }, defaultPreload: 'intent' });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
