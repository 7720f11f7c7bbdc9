import { describe, expect, it } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as activities from '#shared/activities/dynamodb.ts';
import * as appointments from '#shared/appointments/dynamodb.ts';
import type { Appointment } from '#shared/appointments/domain.ts';
import * as contacts from '#shared/contacts/dynamodb.ts';
import * as migrations from '#shared/platform/migrations/dynamodb.ts';
import * as customFields from '#shared/custom-fields/dynamodb.ts';
import * as deals from '#shared/deals/dynamodb.ts';
import type { Deal } from '#shared/deals/domain.ts';
import * as identity from '#shared/identity/dynamodb.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { DynamoConversionWriter } from '#shared/lead-conversion/dynamodb.ts';
import * as leads from '#shared/leads/dynamodb.ts';
import * as notes from '#shared/notes/dynamodb.ts';
import * as documents from '#shared/documents/dynamodb.ts';
import * as captureForms from '#shared/capture-forms/dynamodb.ts';
import * as notifications from '#shared/notifications/dynamodb.ts';
import * as notificationRules from '#shared/notifications/rule-store.ts';
import * as outcomes from '#shared/outcomes/dynamodb.ts';
import type { Note } from '#shared/notes/domain.ts';
import * as pipelines from '#shared/pipelines/dynamodb.ts';
import type { Pipeline, Stage } from '#shared/pipelines/domain.ts';
import * as consumerMarkers from '#shared/platform/consumers/markers.ts';
import * as automations from '#shared/automations/dynamodb.ts';
import { CursorCodec } from '#shared/platform/dynamodb/cursor.ts';
import * as platformKeys from '#shared/platform/dynamodb/keys.ts';
import {
  canAlias,
  indexPartition,
  indexPartitions,
  keyPatternsOf,
  tableKey,
  tableKeys,
  type KeyPattern,
  type KeySpace,
} from '#shared/platform/dynamodb/partitions.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import { INDEX, tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import * as table from '#shared/platform/dynamodb/table.ts';
import * as searchIndex from '#shared/search/dynamodb.ts';
import * as searchTerms from '#shared/search/index-terms.ts';
import * as tasks from '#shared/tasks/dynamodb.ts';
import * as live from '#shared/live/dynamodb.ts';
import * as accessTokens from '#shared/access-tokens/dynamodb.ts';
import * as sellIds from '#shared/platform/dynamodb/sell-ids.ts';
import * as sellFacade from '#shared/sell-facade/dynamodb.ts';
import * as invitations from '#shared/invitations/dynamodb.ts';
import * as calls from '#shared/calls/dynamodb.ts';
import type { Task } from '#shared/tasks/domain.ts';
import { makeContact, makeLead } from '#test/contacts/fakes.ts';
import { makeCustomField } from '#test/custom-fields/fakes.ts';
import { makeTeam, makeUser, testId } from '#test/helpers/fakes.ts';

// Every kind's partitions share one table and six indexes: no two kinds may ever read or write
// the same partition. Each family's dynamodb.ts declares its partitions through key builders
// that say what their keys look like; this test collects every exported one, checks that no
// two can alias, and checks that every key the adapters actually send to DynamoDB is one of
// them (so no partition string is spelled outside its builder).

const MODULES = {
  platformKeys,
  table,
  consumerMarkers,
  automations,
  identity,
  pipelines,
  customFields,
  deals,
  leads,
  contacts,
  notes,
  documents,
  captureForms,
  tasks,
  appointments,
  outcomes,
  searchTerms,
  searchIndex,
  activities,
  notifications,
  notificationRules,
  live,
  migrations,
  accessTokens,
  sellIds,
  invitations,
  calls,
};
const declared = keyPatternsOf(...Object.values(MODULES));

const show = (p: KeyPattern) => `${p.space}: ${p.exact ? p.prefix : `${p.prefix}…${p.suffix}`}`;

function collisions(patterns: readonly KeyPattern[]): string[] {
  const found: string[] = [];
  patterns.forEach((a, i) => {
    for (const b of patterns.slice(i + 1)) if (canAlias(a, b)) found.push(`${show(a)} ~ ${show(b)}`);
  });
  return found;
}

function matches(pattern: KeyPattern, space: KeySpace, key: string): boolean {
  if (pattern.space !== space) return false;
  if (pattern.exact) return key === pattern.prefix;
  return (
    key.startsWith(pattern.prefix) && key.endsWith(pattern.suffix) && key.length > pattern.prefix.length + pattern.suffix.length
  );
}

describe('canAlias', () => {
  const p = (space: KeySpace, prefix: string, suffix = '', exact = false): KeyPattern => ({ space, prefix, suffix, exact });

  it('tells apart names that only share leading letters, other key spaces and other suffixes', () => {
    expect(canAlias(p('table', 'lead#'), p('table', 'lead_status#'))).toBe(false);
    expect(canAlias(p(INDEX.relation, 'deal_stage#'), p(INDEX.relationOwner, 'deal_stage#'))).toBe(false);
    expect(canAlias(p(INDEX.relation, 'lead#', '#note'), p(INDEX.relation, 'lead#', '#task'))).toBe(false);
    expect(canAlias(p(INDEX.all, 'deal', '', true), p(INDEX.all, 'deal_x', '', true))).toBe(false);
    expect(canAlias(p(INDEX.all, 'deal', '', true), p(INDEX.all, 'deal#'))).toBe(false);
  });

  it('finds a shared name, a name that another extends, and an exact key inside a family', () => {
    expect(canAlias(p('table', 'deal#'), p('table', 'deal#'))).toBe(true);
    expect(canAlias(p('table', 'stats#'), p('table', 'stats#users', '', true))).toBe(true);
    expect(canAlias(p(INDEX.relation, 'lead#', '#note'), p(INDEX.relation, 'lead#'))).toBe(true);
    expect(canAlias(p(INDEX.relation, 'a#b#'), p(INDEX.relation, 'a#'))).toBe(true);
    expect(canAlias(p(INDEX.all, 'deal', '', true), p(INDEX.all, 'deal', '', true))).toBe(true);
  });
});

describe('partition keys across kinds', () => {
  it('collects the partitions of every family, table and index alike', () => {
    const shown = declared.map(show);
    for (const expected of [
      'table: user#…',
      'table: deal#…',
      'table: event#…',
      'table: idempotency',
      'table: consumed#…',
      'table: stats#users',
      'table: deal_stats#…',
      `${INDEX.relation}: deal_stage#…`,
      `${INDEX.relationOwner}: deal_stage#…`,
      `${INDEX.relation}: lead#…#note`,
      `${INDEX.relation}: contact#…#task`,
      `${INDEX.all}: loss_reason`,
      `${INDEX.owner}: search#…`,
    ]) {
      expect(shown).toContain(expected);
    }
  });

  it('never lets two builders alias a partition', () => {
    expect(collisions(declared)).toEqual([]);
  });

  it('fails when another kind takes a name already used in the same key space', () => {
    const planted = [
      tableKeys<[id: string]>('deal', 'other'),
      indexPartitions<[id: string]>(INDEX.relation, 'deal_stage'),
      indexPartition(INDEX.all, 'lead'),
      tableKey('account', 'x'),
      tableKeys<[id: string]>('stats', 'stats'),
    ];
    for (const builder of planted) expect(collisions([...declared, ...keyPatternsOf(builder)])).not.toEqual([]);
  });
});

// ---- Every key the adapters send ----------------------------------------------------------

const sent: { space: KeySpace; key: string; request: string }[] = [];

/** A DocumentClient that records the keys of every request and answers as an empty table. */
const client = {
  async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
    const name = command.constructor.name;
    const input = command.input;
    const record = (space: KeySpace, key: unknown) => sent.push({ space, key: String(key), request: name });
    const recordItem = (item: Record<string, unknown>) => {
      record('table', item[tableSpec.partitionKey]);
      for (const index of tableSpec.globalSecondaryIndexes) {
        if (item[index.partitionKey] !== undefined) record(index.indexName, item[index.partitionKey]);
      }
    };
    switch (name) {
      case 'GetCommand':
        record('table', (input.Key as Record<string, unknown>).pk);
        return {};
      case 'QueryCommand':
        record(
          (input.IndexName as KeySpace | undefined) ?? 'table',
          (input.ExpressionAttributeValues as Record<string, unknown>)[':pk'],
        );
        return { Items: [] };
      case 'BatchGetCommand':
        for (const request of Object.values(input.RequestItems as Record<string, { Keys: { pk: string }[] }>)) {
          for (const key of request.Keys) record('table', key.pk);
        }
        return { Responses: {} };
      case 'PutCommand':
        recordItem(input.Item as Record<string, unknown>);
        return {};
      case 'UpdateCommand':
      case 'DeleteCommand':
        record('table', (input.Key as Record<string, unknown>).pk);
        return {};
      case 'TransactWriteCommand':
        for (const op of input.TransactItems as Record<string, { Item?: Record<string, unknown>; Key?: { pk: string } }>[]) {
          const write = Object.values(op)[0]!;
          if (write.Item) recordItem(write.Item);
          else record('table', write.Key!.pk);
        }
        return {};
      default:
        throw new Error(`unexpected ${name}`);
    }
  },
};

const db = new table.Table({
  client: client as unknown as DynamoDBDocumentClient,
  name: 'keys-test',
  cursors: new CursorCodec('keys-test-cursor-secret'),
});

const id = (n: number) => testId(n);
const [U1, U2, T1, P1, S1, S2, D1, C1, ORG, L1, N1, K1, F1, R1] = Array.from({ length: 14 }, (_, i) => id(i + 1)) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];
const AT = '2031-01-01T00:00:00.000Z';
const event = (n: number, type = 'x.changed'): DomainEvent =>
  ({ metadata: { event_id: id(100 + n), event_type: type, occurred_at: AT }, data: {} }) as unknown as DomainEvent;

const deal: Deal = {
  id: D1,
  name: 'Big deal',
  value: '10.00',
  currency: 'EUR',
  owner_id: U1,
  creator_id: U1,
  contact_id: C1,
  organization_id: ORG,
  pipeline_id: P1,
  stage_id: S1,
  hot: false,
  estimated_close_date: null,
  customized_win_likelihood: null,
  source_id: R1,
  loss_reason_id: R1,
  unqualified_reason_id: R1,
  tags: [],
  custom_fields: { [F1]: 'x' },
  last_stage_change_at: AT,
  last_stage_change_by_id: U1,
  added_at: AT,
  created_at: AT,
  updated_at: AT,
  version: 1,
};
const dealRefs = {
  owner_id: U1,
  contact_id: C1,
  organization_id: ORG,
  source_id: R1,
  loss_reason_id: R1,
  unqualified_reason_id: R1,
};
const pipeline: Pipeline = { id: P1, name: 'Sales', created_at: AT, updated_at: AT, version: 1 };
const stage: Stage = {
  id: S1,
  pipeline_id: P1,
  name: 'New',
  category: 'active',
  position: 1,
  likelihood: 10,
  deal_count: 0,
  created_at: AT,
  updated_at: AT,
  version: 1,
};
const note: Note = {
  id: N1,
  content: 'hi',
  resource_type: 'lead',
  resource_id: L1,
  creator_id: U1,
  created_at: AT,
  updated_at: AT,
  version: 1,
};
const task: Task = {
  id: K1,
  content: 'call',
  due_date: AT,
  owner_id: U1,
  creator_id: U1,
  resource_type: 'deal',
  resource_id: D1,
  completed: false,
  completed_at: null,
  remind_at: null,
  reminder: null,
  created_at: AT,
  updated_at: AT,
  version: 1,
};

/** Every adapter operation once or more, against the recording client. */
async function exercise(): Promise<void> {
  const users = new identity.DynamoUserRepository(db);
  const teams = new identity.DynamoTeamRepository(db);
  const user = makeUser(U1, { role: 'admin', reports_to: U2, team_id: T1 });
  await users.get(U1);
  await users.findIdByEmail(user.email);
  await users.activeAdminCount();
  await users.create(user, [event(1)]);
  await users.update({ before: user, after: { ...user, role: 'user', version: 2 }, chain: [{ id: U2, reports_to: null }] }, []);
  for (const q of [{ team_id: T1 }, { reports_to: U2 }, {}]) await users.list({ limit: 5, ...q });
  await users.directReportIds(U2);
  const team = makeTeam(T1);
  await teams.create(team, []);
  await teams.list({ limit: 5 });
  await teams.members(T1, 5);
  await teams.update(team, { ...team, name: 'B', version: 2 }, []);
  await teams.delete(team, [], { to: makeTeam(id(50)), members: [user], now: AT });
  const account = new identity.DynamoAccountRepository(db);
  await account.get();
  const tokens = new accessTokens.DynamoAccessTokenRepository(db);
  const pat = { id: id(60), user_id: U1, name: 't', prefix: 'abcdef', created_at: AT, last_used_at: null, hash: 'ab'.repeat(32) };
  await tokens.create(pat);
  await tokens.listByUser(U1);
  await tokens.get(pat.id);
  await tokens.findByHash(pat.hash);
  await tokens.touch(pat.id, new Date(AT));
  await tokens.delete(pat);
  const numbers = new sellFacade.DynamoSellIds(db);
  await numbers.idOf('lead', 7);
  await numbers.numbersOf('lead', [L1]);
  await sellFacade.sellIdBackfillStep(db, null);
  await account.save({ version: 1 } as never, undefined, []);

  const stages = new pipelines.DynamoPipelineRepository(db);
  const lists = new pipelines.DynamoNamedListRepository(db);
  await stages.createPipeline(pipeline, [stage], []);
  await stages.get(S1);
  await stages.getPipeline(P1);
  await stages.ofPipeline(P1);
  await stages.listPipelines({ limit: 5 });
  await stages.pipelineCount();
  await stages.renamePipeline(pipeline, { ...pipeline, name: 'Other', version: 2 }, []);
  await stages.deletePipeline(pipeline, [stage], []);
  await stages.createStage(stage, [], []);
  await stages.updateStage({ before: stage, after: { ...stage, version: 2 } }, [], []);
  await stages.deleteStage(stage, [], []);
  const entry = { id: R1, name: 'Price', created_at: AT, updated_at: AT, version: 1 };
  for (const kind of ['loss_reason', 'deal_unqualified_reason', 'lead_unqualified_reason', 'source', 'call_outcome'] as const) {
    await lists.create(kind, [entry], []);
    await lists.get(kind, R1);
    await lists.list(kind, { limit: 5 });
    await lists.update(kind, entry, { ...entry, name: 'Cost', version: 2 }, []);
    await lists.delete(kind, entry, []);
  }

  const fields = new customFields.DynamoCustomFieldRepository(db);
  const field = makeCustomField(F1);
  await fields.create(field, []);
  await fields.get(F1);
  await fields.listAll('lead');
  await fields.update({ before: field, after: { ...field, name: 'Other', version: 2 }, requireNoValues: true }, []);
  await fields.delete(field, 1, []);

  const dealRepo = new deals.DynamoDealRepository(db);
  await dealRepo.create(deal, dealRefs, [event(2)]);
  await dealRepo.get(D1);
  await dealRepo.update(deal, { ...deal, stage_id: S2, owner_id: U2, version: 2 }, { ...dealRefs, owner_id: U2 }, [
    event(3, 'deal.stage_changed'),
  ]);
  await dealRepo.delete(deal, []);
  await dealRepo.associate(deal, { deal_id: D1, contact_id: C1, role: null, created_at: AT }, []);
  await dealRepo.dissociate(deal, C1, []);
  await dealRepo.stageChanges(D1);
  await dealRepo.associatedContacts(D1);
  await dealRepo.stageStats(P1);
  await dealRepo.idsInStage(S1, 5);
  for (const owners of ['all', [U1, U2]] as const) {
    for (const q of [{}, { stage_id: S1 }, { contact_id: C1 }, { organization_id: ORG }]) {
      await dealRepo.list({ owners, order: 'desc', ...q }, { limit: 5 });
    }
  }

  const leadRepo = new leads.DynamoLeadRepository(db);
  const lead = makeLead(L1, { owner_id: U1, source_id: R1 });
  await leadRepo.create(lead, { owner_id: U1, source_id: R1, unqualified_reason_id: null }, []);
  await leadRepo.get(L1);
  await leadRepo.update(
    lead,
    { ...lead, status: 'working', version: 2 },
    { owner_id: U1, source_id: R1, unqualified_reason_id: null },
    [],
  );
  await leadRepo.delete(lead, []);
  for (const owners of ['all', [U1]] as const) {
    for (const q of [{}, { status: 'new' as const }]) await leadRepo.collect({ owners, order: 'asc', ...q }, 10);
  }

  const contactRepo = new contacts.DynamoContactRepository(db);
  const org = makeContact(ORG, { is_organization: true, owner_id: U1 });
  const person = makeContact(C1, { contact_id: ORG, owner_id: U1, source_id: R1 });
  await contactRepo.create(person, { owner_id: U1, source_id: R1, contact_id: ORG }, []);
  await contactRepo.get(C1);
  await contactRepo.update(
    person,
    { ...person, contact_id: null, version: 2 },
    { owner_id: U1, source_id: R1, contact_id: null },
    [],
  );
  await contactRepo.delete(org, []);
  for (const owners of ['all', [U1]] as const) {
    for (const q of [{}, { contact_id: ORG }]) await contactRepo.list({ owners, order: 'desc', ...q }, { limit: 5 });
  }

  const noteRepo = new notes.DynamoNoteRepository(db);
  await noteRepo.create(note, U1, []);
  await noteRepo.get(N1);
  await noteRepo.update(note, { ...note, version: 2 }, []);
  await noteRepo.delete(note, []);
  await noteRepo.ofRecord({ resource_type: 'contact', resource_id: C1 }, { limit: 5 });
  await noteRepo.byCreator(U1, { limit: 5 });
  await noteRepo.notesOf({ resource_type: 'deal', resource_id: D1 }, 5);

  const taskRepo = new tasks.DynamoTaskRepository(db);
  await taskRepo.create(task, { ref: { resource_type: 'deal', resource_id: D1 }, ownerId: U1 }, []);
  await taskRepo.get(K1);
  await taskRepo.update(task, { ...task, owner_id: U2, version: 2 }, null, []);
  await taskRepo.delete(task, []);
  await taskRepo.tasksOf({ resource_type: 'lead', resource_id: L1 }, 5);
  const now = new Date(AT);
  for (const owners of ['all', [U1]] as const) {
    await taskRepo.list({ owners, filter: {}, now }, { limit: 5 });
    await taskRepo.list({ owners, record: { resource_type: 'deal', resource_id: D1 }, filter: {}, now }, { limit: 5 });
  }

  const appointment: Appointment = {
    id: id(70),
    name: 'Demo',
    description: null,
    location: null,
    start_at: AT,
    end_at: AT,
    all_day: false,
    start_date: null,
    end_date: null,
    time_zone: 'UTC',
    owner_id: U1,
    creator_id: U1,
    attendees: [{ type: 'user', id: U2, email: null, name: null, status: 'needs_action' }],
    resource_type: 'deal',
    resource_id: D1,
    reminder: null,
    remind_at: null,
    sequence: 0,
    created_at: AT,
    updated_at: AT,
    version: 1,
  };
  const appointmentRepo = new appointments.DynamoAppointmentRepository(db);
  await appointmentRepo.create(appointment, { ref: { resource_type: 'deal', resource_id: D1 }, ownerId: U1 }, []);
  await appointmentRepo.get(appointment.id);
  await appointmentRepo.update(appointment, { ...appointment, attendees: [], version: 2 }, null, []);
  await appointmentRepo.delete(appointment, []);
  await appointmentRepo.appointmentsOf({ resource_type: 'lead', resource_id: L1 }, 5);
  for (const source of [
    { kind: 'all' as const },
    { kind: 'calendars' as const, users: [U1, U2] },
    { kind: 'record' as const, record: { resource_type: 'deal' as const, resource_id: D1 } },
  ])
    await appointmentRepo.list({ source, range: ['0', '~'] }, { limit: 5 });

  const search = new searchIndex.DynamoSearchIndex(db);
  await search.find({ owners: 'all', prefix: 'big', kinds: ['deal'], limit: 5 });
  await search.find({ owners: [U1], prefix: 'big', kinds: ['deal'], limit: 5 });

  await new DynamoConversionWriter(db).convert(
    {
      before: lead,
      after: { ...lead, status: 'converted', converted_at: AT, version: 2 },
      contacts: [person, org],
      deal: { ...deal, custom_fields: {} },
      notes: [note],
      tasks: [task],
      appointments: [appointment],
      to: { resource_type: 'contact', resource_id: C1 },
      scope: { kind: 'all' },
      sellNumbered: true,
    },
    [event(4, 'deal.created')],
  );

  const markers = new consumerMarkers.MarkerStore({
    client: client as unknown as DynamoDBDocumentClient,
    tableName: 'keys-test',
  });
  const claim = await markers.claim('contact-status', id(60), 1_000);
  const token = claim.state === 'claimed' ? claim.token : 'unclaimed';
  await markers.complete('contact-status', id(60), token);
  await markers.release('contact-status', id(60), token);

  const owners = new DynamoRecordOwners(db);
  await owners.ownerOf('deal', D1);
  await owners.ownersOf([{ resource_type: 'lead', resource_id: L1 }]);
}

describe('keys the adapters send to DynamoDB', () => {
  it('each fall in exactly one declared partition', async () => {
    sent.length = 0;
    await exercise();
    const spaces = new Set(sent.map((s) => s.space));
    expect(spaces).toEqual(new Set(['table', ...tableSpec.globalSecondaryIndexes.map((i) => i.indexName)]));
    const stray = sent
      .map((s) => ({ ...s, declared: declared.filter((p) => matches(p, s.space, s.key)).map(show) }))
      .filter((s) => s.declared.length !== 1);
    expect(stray).toEqual([]);
  });
});
