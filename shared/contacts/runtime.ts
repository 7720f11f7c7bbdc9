import { cachedStageCategories, type ContactStatusDeps } from './status.ts';
import type { ContactsDeps } from './use-cases.ts';
import { dealStageIdsOfContact, listDeals } from '#shared/deals/use-cases.ts';
import { DynamoContactRepository } from './dynamodb.ts';
import { customFieldAdapters } from '#shared/custom-fields/runtime.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import { crmTable, runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';

// The contacts module's adapters, built once per container. A contact's deals come from the
// deals module (its list use case for what a caller sees; its repository for the statuses).

let deps: ContactsDeps | undefined;

export function contactAdapters(): ContactsDeps {
  deps ??= {
    contacts: new DynamoContactRepository(crmTable()),
    customFields: customFieldAdapters().catalog,
    deals: {
      ofContact: (call, contactId, page) =>
        listDeals(dealAdapters(), call, { limit: page.limit, cursor: page.cursor, contact_id: contactId, raw: {} }),
    },
  };
  return deps;
}

let statusDeps: ContactStatusDeps | undefined;

/** What the contact-status bus consumer needs. */
export function contactStatusAdapters(): ContactStatusDeps {
  statusDeps ??= {
    contacts: contactAdapters().contacts,
    deals: { stageIdsOf: (contactId, max) => dealStageIdsOfContact(dealAdapters().deals, contactId, max) },
    stages: cachedStageCategories(pipelineAdapters().pipelines),
    clock: runtimeClock,
    newId: runtimeIds,
  };
  return statusDeps;
}
