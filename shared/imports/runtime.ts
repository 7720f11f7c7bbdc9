import { AsyncLocalStorage } from 'node:async_hooks';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoContactRepository } from '#shared/contacts/dynamodb.ts';
import { DynamoDealRepository } from '#shared/deals/dynamodb.ts';
import { DynamoLeadRepository } from '#shared/leads/dynamodb.ts';
import { DynamoTaskRepository } from '#shared/tasks/dynamodb.ts';
import { userKey } from '#shared/platform/dynamodb/keys.ts';
import { advanceSellSequence, allocateSellIds, recordIdOf, withAssignedSellIds } from '#shared/platform/dynamodb/sell-ids.ts';
import type { Table, WriteOp } from '#shared/platform/dynamodb/table.ts';
import { contactAdapters } from '#shared/contacts/runtime.ts';
import { createContact, updateContact } from '#shared/contacts/use-cases.ts';
import { customFieldAdapters } from '#shared/custom-fields/runtime.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { createDeal, updateDeal } from '#shared/deals/use-cases.ts';
import { principalResolver } from '#shared/identity/principals.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { noteAdapters } from '#shared/notes/runtime.ts';
import { createNote } from '#shared/notes/use-cases.ts';
import { taskAdapters } from '#shared/tasks/runtime.ts';
import { createTask } from '#shared/tasks/use-cases.ts';
import { createLead, updateLead } from '#shared/leads/use-cases.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { searchAdapters } from '#shared/search/runtime.ts';
import { searchRecords } from '#shared/search/use-cases.ts';
import { crmTable, runtimeClock } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { S3FileStore } from '#shared/platform/s3-files.ts';
import type { ImportMessage, ImportResource } from './domain.ts';
import { DynamoImportRepository } from './dynamodb.ts';
import type { ImportQueue, ImportTargets } from './ports.ts';
import type { ImportsDeps } from './use-cases.ts';

// The imports module's adapters, built once per container: the table, the files bucket, the
// import queue (SQS) and the families' own use cases as the records an import writes.

const KIND = { leads: 'lead', contacts: 'contact', deals: 'deal', notes: 'note', tasks: 'task' } as const;
const CUSTOM_FIELD_RESOURCE = { leads: 'lead', contacts: 'contact', deals: 'deal' } as const;

/** The import queue: messages sent 10 at a time (SQS's batch limit). */
export class SqsImportQueue implements ImportQueue {
  readonly #client: SQSClient;
  readonly #url: string;
  constructor(options: { url: string; client?: SQSClient }) {
    // The configured endpoint, not the URL's host: the same in AWS, and the gated one locally.
    this.#client = options.client ?? new SQSClient({ useQueueUrlAsEndpoint: false });
    this.#url = options.url;
  }

  async send(messages: readonly ImportMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages.slice(i, i + 10).map((m, n) => ({ Id: String(n), MessageBody: JSON.stringify(m) }));
      const out = await this.#client.send(new SendMessageBatchCommand({ QueueUrl: this.#url, Entries: entries }));
      if (out.Failed?.length)
        throw new Error(`the import queue refused ${out.Failed.length} messages: ${out.Failed[0]!.Message}`);
    }
  }
}

/** The owner a row's create leaves unchecked (the batch checked it: ImportTargets.create). */
const checkedOwner = new AsyncLocalStorage<string>();

const isCheckOn = (op: WriteOp, key: { pk: string; sk: string }): boolean =>
  op.type === 'check' && op.key.pk === key.pk && op.key.sk === key.sk;

/**
 * `table` whose transactions leave out the check on the user item of the owner in
 * `checkedOwner` (set only around a row's create, for an owner its batch found active); every
 * other check and write stays.
 */
export function ownerCheckedTable(table: Table): Table {
  return new Proxy(table, {
    get(target, property) {
      if (property === 'write') {
        return (ops: WriteOp[], events?: Parameters<Table['write']>[1]) => {
          const owner = checkedOwner.getStore();
          const key = owner === undefined ? undefined : userKey(owner);
          return target.write(key ? ops.filter((op) => !isCheckOn(op, key)) : ops, events);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The records an import writes, on `table`: through the families' own use cases. */
export function importTargets(table: Table = crmTable()): ImportTargets {
  const users = new DynamoUserRepository(table);
  const principals = principalResolver(users, systemClock);
  // The families' adapters with their repositories on the owner-checked table.
  const rows = ownerCheckedTable(table);
  const families = {
    leads: () => ({ ...leadAdapters(), leads: new DynamoLeadRepository(rows) }),
    contacts: () => ({ ...contactAdapters(), contacts: new DynamoContactRepository(rows) }),
    deals: () => ({ ...dealAdapters(), deals: new DynamoDealRepository(rows) }),
    tasks: () => ({ ...taskAdapters(), tasks: new DynamoTaskRepository(rows) }),
  };
  const cached = new Map<string, unknown>();
  const adapters = <K extends keyof typeof families>(name: K): ReturnType<(typeof families)[K]> => {
    if (!cached.has(name)) cached.set(name, families[name]());
    return cached.get(name) as ReturnType<(typeof families)[K]>;
  };
  return {
    customFields: async (resource) =>
      resource === 'notes' || resource === 'tasks'
        ? []
        : customFieldAdapters().catalog.definitions(CUSTOM_FIELD_RESOURCE[resource]),
    userIdByEmail: (email) => users.findIdByEmail(email),
    principalOf: async (userId) => principals.resolve({ user_id: userId, email: '', role: 'user', direct_reports: [] }),
    activeUserIds: async (ids) => {
      const items = await table.getMany(ids.map((id) => userKey(id)));
      return new Set(items.filter((item) => item.status === 'active').map((item) => String(item.id)));
    },
    reserveSellIds: (resource, count) => allocateSellIds(table, KIND[resource], count),
    advanceSellIds: (resource, atLeast) => advanceSellSequence(table, KIND[resource], atLeast),
    exists: async (resource, id) => {
      if (resource === 'leads') return (await leadAdapters().leads.get(id)) !== undefined;
      if (resource === 'contacts') return (await contactAdapters().contacts.get(id)) !== undefined;
      if (resource === 'notes') return (await noteAdapters().notes.get(id)) !== undefined;
      if (resource === 'tasks') return (await taskAdapters().tasks.get(id)) !== undefined;
      return (await dealAdapters().deals.get(id)) !== undefined;
    },
    recordIdBySellId: (type, sellId) => recordIdOf(table, type, sellId),
    idByEmail: async (resource: ImportResource, call, email) => {
      const { items } = await searchRecords(searchAdapters(), call, { q: email, types: resource, limit: 10 });
      return items.find((hit) => hit.kind === KIND[resource] && hit.email?.toLowerCase() === email)?.id;
    },
    create: async (resource, call, input, options = {}) => {
      const create = async () => {
        if (resource === 'leads') await createLead(adapters('leads'), call, input);
        else if (resource === 'contacts') await createContact(adapters('contacts'), call, input);
        else if (resource === 'notes') await createNote(noteAdapters(), call, input as Parameters<typeof createNote>[2]);
        else if (resource === 'tasks') await createTask(adapters('tasks'), call, input as Parameters<typeof createTask>[2]);
        else await createDeal(adapters('deals'), call, input as Parameters<typeof createDeal>[2]);
      };
      const { sellId, ownerChecked } = options;
      const numbered =
        sellId === undefined
          ? create
          : () => withAssignedSellIds((type) => (type === KIND[resource] ? sellId : undefined), create);
      await (ownerChecked === undefined ? numbered() : checkedOwner.run(ownerChecked, numbered));
    },
    update: async (resource, call, id, input) => {
      if (resource === 'leads') await updateLead(leadAdapters(), call, id, input);
      else if (resource === 'contacts') await updateContact(contactAdapters(), call, id, input);
      else if (resource === 'deals') await updateDeal(dealAdapters(), call, id, input);
      else throw new Error(`${resource} are not matched by e-mail`);
    },
  };
}

let deps: ImportsDeps | undefined;

export function importAdapters(): ImportsDeps {
  deps ??= {
    imports: new DynamoImportRepository(crmTable()),
    files: new S3FileStore({ bucket: requireEnv(RUNTIME_ENV.filesBucket) }),
    queue: new SqsImportQueue({ url: requireEnv(RUNTIME_ENV.importQueueUrl) }),
    targets: importTargets(),
    clock: runtimeClock,
  };
  return deps;
}
