import { contactAdapters } from '#shared/contacts/runtime.ts';
import { customFieldAdapters, refreshCustomFieldCatalog } from '#shared/custom-fields/runtime.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { getAccount } from '#shared/identity/account-use-cases.ts';
import { accountDefaults, identityAdapters } from '#shared/identity/runtime.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { taskAdapters } from '#shared/tasks/runtime.ts';
import type { AutomationSummary } from './domain.ts';
import { DynamoAutomationRunStore, outboxHas } from './dynamodb.ts';
import type { AutomationDeps } from './use-cases.ts';

// The automations module's wiring, built once per container.

let deps: AutomationDeps | undefined;
let zone: { timezone: string; until: number } | undefined;
/** Users' own time zones, as read (null: none), with when each reading expires. */
const userZones = new Map<string, { zone: string | null | undefined; until: number }>();
const ZONE_CACHE_MS = 60_000;
const USER_ZONES_MAX = 1_000;

/** What the automations function runs with: the families' own adapters, and the run store. */
export function automationAdapters(): AutomationDeps {
  if (deps) return deps;
  const identity = identityAdapters();
  const table = crmTable();
  deps = {
    tasks: taskAdapters(),
    deals: dealAdapters(),
    leads: leadAdapters(),
    contacts: contactAdapters(),
    users: identity.users,
    teamMemberIds: async (name) => {
      for (let cursor: string | undefined, first = true; first || cursor; first = false) {
        const page = await identity.teams.list({ limit: 100, cursor });
        const team = page.items.find((t) => t.name === name);
        if (team) return (await identity.users.list({ team_id: team.id, limit: 100 })).items.map((u) => u.id);
        cursor = page.next_cursor ?? undefined;
      }
      return undefined;
    },
    customFieldIds: async (resource) => {
      // A field renamed through another function shows at once (the catalog checks its versions).
      await refreshCustomFieldCatalog();
      const definitions = await customFieldAdapters().catalog.definitions(resource);
      return new Map(definitions.map((d) => [d.name, d.id]));
    },
    timeZone: async () => {
      // The account changes rarely: read at most once a minute per container.
      if (!zone || zone.until < Date.now()) {
        const timezone = (await getAccount({ account: identity.account, defaults: accountDefaults() })).timezone;
        zone = { timezone, until: Date.now() + 60_000 };
      }
      return zone.timezone;
    },
    userTimeZone: async (userId) => {
      // Like the account's: a zone changes rarely, and each task an automation makes for its
      // assignee would otherwise read their user item first (a request on the way to the effect).
      const cached = userZones.get(userId);
      if (cached && cached.until >= Date.now()) return cached.zone;
      const user = await identity.users.get(userId);
      if (userZones.size >= USER_ZONES_MAX) userZones.clear();
      const zoneOf = user ? (user.time_zone ?? null) : undefined;
      userZones.set(userId, { zone: zoneOf, until: Date.now() + ZONE_CACHE_MS });
      return zoneOf;
    },
    outboxHas: (eventId) => outboxHas(table, eventId),
    runs: new DynamoAutomationRunStore(table),
    clock: systemClock,
  };
  return deps;
}

let listing: { catalogue: { actions(): AutomationSummary[] }; runs: DynamoAutomationRunStore } | undefined;

/** GET /automations: the configured actions (CRM_AUTOMATIONS, from the config) and the run store. */
export function automationListAdapters() {
  if (!listing) {
    const actions = JSON.parse(requireEnv(RUNTIME_ENV.automations)) as AutomationSummary[];
    listing = { catalogue: { actions: () => actions }, runs: new DynamoAutomationRunStore(crmTable()) };
  }
  return listing;
}
