import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { contactAdapters } from '#shared/contacts/runtime.ts';
import { deleteContact, getContact, listContacts, updateContact } from '#shared/contacts/use-cases.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { deleteDeal, getDeal, listDeals, updateDeal } from '#shared/deals/use-cases.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { principalResolver } from '#shared/identity/principals.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { deleteLead, getLead, listLeads, updateLead } from '#shared/leads/use-cases.ts';
import { crmTable, runtimeClock } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import type { BulkMessage, BulkResource } from './domain.ts';
import { DynamoBulkOperationRepository } from './dynamodb.ts';
import type { BulkQueue, BulkTargets } from './ports.ts';
import type { BulkOperationsDeps } from './use-cases.ts';

// The bulk operations' adapters, built once per container: the table, the bulk queue (SQS)
// and the families' own use cases (get, update, delete, list) as the records acted on.

/** The bulk queue: messages sent 10 at a time (SQS's batch limit). */
export class SqsBulkQueue implements BulkQueue {
  readonly #client: SQSClient;
  readonly #url: string;
  constructor(options: { url: string; client?: SQSClient }) {
    // The configured endpoint, not the URL's host: the same in AWS, and the gated one locally.
    this.#client = options.client ?? new SQSClient({ useQueueUrlAsEndpoint: false });
    this.#url = options.url;
  }

  async send(messages: readonly BulkMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages.slice(i, i + 10).map((m, n) => ({ Id: String(n), MessageBody: JSON.stringify(m) }));
      const out = await this.#client.send(new SendMessageBatchCommand({ QueueUrl: this.#url, Entries: entries }));
      if (out.Failed?.length) throw new Error(`the bulk queue refused ${out.Failed.length} messages: ${out.Failed[0]!.Message}`);
    }
  }
}

/**
 * The list routes' query schemas, given by the functions (a runtime file imports no routes):
 * a filter is parsed exactly as the list route parses its query string.
 */
export type ListQuerySchemas = Record<BulkResource, z.ZodMiniType>;
/** Ids per page of a filter's selection (the list routes' largest page). */
const SELECT_PAGE = 100;

/** The list route's query for a filter, parsed as the route parses it (a refused filter: 422). */
function listQuery(
  schemas: ListQuerySchemas,
  resource: BulkResource,
  filter: Record<string, string>,
  cursor: string | undefined,
) {
  const raw = { ...filter, limit: String(SELECT_PAGE), ...(cursor ? { cursor } : {}) };
  const parsed = z.safeParse(schemas[resource], raw);
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.map((issue) => ({ field: `body.filter.${issue.path.map(String).join('.')}`, message: issue.message })),
    );
  }
  return { ...(parsed.data as Record<string, unknown>), raw: parsed.data as Record<string, unknown> };
}

/** The families' use cases as the records bulk operations act on. */
export function bulkTargets(schemas: ListQuerySchemas): BulkTargets {
  const users = new DynamoUserRepository(crmTable());
  const principals = principalResolver(users, systemClock);
  return {
    principalOf: (userId) => principals.resolve({ user_id: userId, email: '', role: 'user', direct_reports: [] }),
    exists: async (resource, id) => {
      if (resource === 'leads') return (await leadAdapters().leads.get(id)) !== undefined;
      if (resource === 'contacts') return (await contactAdapters().contacts.get(id)) !== undefined;
      return (await dealAdapters().deals.get(id)) !== undefined;
    },
    read: async (resource, call, id) => {
      if (resource === 'leads') return getLead(leadAdapters(), call, id);
      if (resource === 'contacts') return getContact(contactAdapters(), call, id);
      return getDeal(dealAdapters(), call, id);
    },
    update: async (resource, call, id, patch, ifMatch) => {
      if (resource === 'leads') await updateLead(leadAdapters(), call, id, patch, ifMatch);
      else if (resource === 'contacts') await updateContact(contactAdapters(), call, id, patch, ifMatch);
      else await updateDeal(dealAdapters(), call, id, patch, ifMatch);
    },
    remove: async (resource, call, id) => {
      if (resource === 'leads') await deleteLead(leadAdapters(), call, id);
      else if (resource === 'contacts') await deleteContact(contactAdapters(), call, id);
      else await deleteDeal(dealAdapters(), call, id);
    },
    select: async (resource, call, filter, cursor) => {
      const query = listQuery(schemas, resource, filter, cursor) as never;
      const page =
        resource === 'leads'
          ? await listLeads(leadAdapters(), call, query)
          : resource === 'contacts'
            ? await listContacts(contactAdapters(), call, query)
            : await listDeals(dealAdapters(), call, query);
      return { items: page.items.map((r) => r.id), next_cursor: page.next_cursor };
    },
  };
}

let deps: BulkOperationsDeps | undefined;

/** The table, the bulk queue and the families' use cases; `schemas`: the list routes' queries. */
export function bulkOperationAdapters(schemas: ListQuerySchemas): BulkOperationsDeps {
  deps ??= {
    operations: new DynamoBulkOperationRepository(crmTable()),
    queue: new SqsBulkQueue({ url: requireEnv(RUNTIME_ENV.bulkQueueUrl) }),
    targets: bulkTargets(schemas),
    clock: runtimeClock,
  };
  return deps;
}
