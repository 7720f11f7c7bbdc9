import { contactAdapters } from '#shared/contacts/runtime.ts';
import { createContact } from '#shared/contacts/use-cases.ts';
import { customFieldAdapters } from '#shared/custom-fields/runtime.ts';
import { createCustomField } from '#shared/custom-fields/use-cases.ts';
import type { CreateCustomFieldInput, CustomFieldResource } from '#shared/custom-fields/domain.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { associateContact, createDeal, listAssociatedContacts } from '#shared/deals/use-cases.ts';
import type { CreateDealInput } from '#shared/deals/domain.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { principalResolver } from '#shared/identity/principals.ts';
import { newId } from '#shared/kernel/ids.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { createLead } from '#shared/leads/use-cases.ts';
import { noteAdapters } from '#shared/notes/runtime.ts';
import { createNote } from '#shared/notes/use-cases.ts';
import type { CreateNoteInput } from '#shared/notes/domain.ts';
import { nameKey } from '#shared/pipelines/domain.ts';
import type { NamedListKind } from '#shared/pipelines/reasons.ts';
import { createEntry } from '#shared/pipelines/reason-use-cases.ts';
import { pipelineKeys } from '#shared/pipelines/dynamodb.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import { createPipeline } from '#shared/pipelines/use-cases.ts';
import { withAssignedSellIds, type SellIdType } from '#shared/platform/dynamodb/sell-ids.ts';
import { crmTable, runtimeClock } from '#shared/platform/runtime.ts';
import { taskAdapters } from '#shared/tasks/runtime.ts';
import { createTask } from '#shared/tasks/use-cases.ts';
import type { CreateTaskInput } from '#shared/tasks/domain.ts';
import { callAdapters } from '#shared/calls/runtime.ts';
import { conversionAdapters } from '#shared/lead-conversion/runtime.ts';
import { convertLeadInto } from '#shared/lead-conversion/use-cases.ts';
import { createCall, createTextMessage } from '#shared/calls/use-cases.ts';
import type { CreateCallInput, CreateTextMessageInput } from '#shared/calls/domain.ts';
import { DynamoSellIdMap, DynamoSellImportJobs, DynamoSellImportStore } from './dynamodb.ts';
import type { ImportWrite, SellImportQueue, SellImportStore, SellImportTargets, SellNumbers, SellSource } from './ports.ts';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { credentialSealer } from '#shared/mailboxes/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import type { SellImportMessage } from './domain.ts';
import type { SellImportJobsDeps } from './jobs.ts';
import { SellClient } from './sell-client.ts';
import type { SellImportDeps } from './use-cases.ts';

// The importer's wiring: each write through its family's use case, inside withAssignedSellIds
// so that the records it creates take their Sell ids.

/** The number of a record being created: by its kind, or for stages by category and name. */
function assigner(numbers: SellNumbers) {
  return (type: SellIdType, item: Record<string, unknown>): number | undefined => {
    if (type !== 'stage') return numbers[type];
    return item.category === 'active' ? numbers[`stage:active:${String(item.name)}`] : numbers[`stage:${String(item.category)}`];
  };
}

async function write(call: Parameters<SellImportTargets['create']>[0], target: ImportWrite): Promise<string> {
  switch (target.kind) {
    case 'pipeline':
      return (await createPipeline(pipelineAdapters(), call, target.input)).id;
    case 'named_list':
      return (await createEntry(pipelineAdapters(), call, target.list as NamedListKind, target.input)).id;
    case 'custom_field':
      return (
        await createCustomField(
          customFieldAdapters(),
          call,
          target.resource as CustomFieldResource,
          target.input as CreateCustomFieldInput,
        )
      ).id;
    case 'contact':
      return (await createContact(contactAdapters(), call, target.input)).id;
    case 'lead':
      return (await createLead(leadAdapters(), call, target.input)).id;
    case 'deal':
      return (await createDeal(dealAdapters(), call, target.input as CreateDealInput)).id;
    case 'note':
      return (await createNote(noteAdapters(), call, target.input as CreateNoteInput)).id;
    case 'task':
      return (await createTask(taskAdapters(), call, target.input as CreateTaskInput)).id;
    case 'call':
      return (await createCall(callAdapters(), onBehalfOf(call, target.user_id), target.input as CreateCallInput)).id;
    case 'text_message':
      return (await createTextMessage(callAdapters(), onBehalfOf(call, target.user_id), target.input as CreateTextMessageInput))
        .id;
  }
}

/**
 * The import's call (the admin's rights, events by the admin) logging a call or text as made
 * by `userId`: the calls family takes a call's user from the principal's user id.
 */
function onBehalfOf(call: Parameters<SellImportTargets['create']>[0], userId: string) {
  return { ...call, principal: { ...call.principal, user_id: userId } };
}

/** The families' use cases on this container's table. */
export function sellImportTargets(): SellImportTargets {
  const users = new DynamoUserRepository(crmTable());
  const principals = principalResolver(users, systemClock);
  return {
    userIdByEmail: (email) => users.findIdByEmail(email),
    principalOf: (userId) => principals.resolve({ user_id: userId, email: '', role: 'user', direct_reports: [] }),
    create: (call, target, numbers) => withAssignedSellIds(assigner(numbers), () => write(call, target)),
    customFieldTypes: async (resource) => {
      const definitions = await customFieldAdapters().catalog.definitions(resource as CustomFieldResource);
      return new Map(definitions.map((d) => [d.name, d.type]));
    },
    // The list's uniqueness item names the entry (one read; no list, so no cursor key needed).
    namedEntryId: async (list, name) => {
      const item = await crmTable().get(pipelineKeys.entryName(list as NamedListKind, nameKey(name)));
      return typeof item?.entry_id === 'string' ? item.entry_id : undefined;
    },
    associatedContactIds: async (call, dealId) =>
      (await listAssociatedContacts(dealAdapters(), call, dealId)).map((link) => link.contact_id),
    convertLead: async (call, leadId, into) => {
      await convertLeadInto(conversionAdapters(), call, leadId, into);
    },
    associate: async (call, dealId, contactId, role) => {
      await associateContact(dealAdapters(), call, dealId, { contact_id: contactId, role });
    },
  };
}

/** The importer's adapters for one run reading `source` (a SellClient with the customer's token). */
export function sellImportAdapters(source: SellSource, store?: SellImportStore): SellImportDeps {
  return {
    source,
    store: store ?? new DynamoSellImportStore(crmTable()),
    ids: new DynamoSellIdMap(crmTable()),
    targets: sellImportTargets(),
    clock: runtimeClock,
    newId: () => newId(),
  };
}

/** The Sell import queue: one message per slice. */
export class SqsSellImportQueue implements SellImportQueue {
  readonly #client: SQSClient;
  readonly #url: string;
  constructor(options: { url: string; client?: SQSClient }) {
    // The configured endpoint, not the URL's host: the same in AWS, and the gated one locally.
    this.#client = options.client ?? new SQSClient({ useQueueUrlAsEndpoint: false });
    this.#url = options.url;
  }

  async send(message: SellImportMessage): Promise<void> {
    await this.#client.send(new SendMessageCommand({ QueueUrl: this.#url, MessageBody: JSON.stringify(message) }));
  }
}

let jobs: SellImportJobsDeps | undefined;

/** The Sell import jobs' adapters (POST /sell_imports and the worker), built once per container; Sell's API at SELL_BASE_URL. */
export function sellImportJobsAdapters(): SellImportJobsDeps {
  jobs ??= {
    jobs: new DynamoSellImportJobs(crmTable()),
    queue: new SqsSellImportQueue({ url: requireEnv(RUNTIME_ENV.sellImportQueueUrl) }),
    sealer: credentialSealer(),
    // Sell's own API in AWS; a stand-in on loopback in the local cloud (config sell_import.base_url).
    baseUrl: requireEnv(RUNTIME_ENV.sellBaseUrl),
    source: (token, baseUrl) => new SellClient({ baseUrl, token }),
    engine: (source, store) => sellImportAdapters(source, store),
    clock: runtimeClock,
  };
  return jobs;
}
