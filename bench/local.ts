import { runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';
import { accountDefaults, identityAdapters } from '#shared/identity/runtime.ts';
import { updateAccount } from '#shared/identity/account-use-cases.ts';
import { callContext } from '#shared/kernel/ports.ts';
import { createTeam } from '#shared/identity/teams.ts';
import { createUser } from '#shared/identity/use-cases.ts';
import type { Team, User } from '#shared/identity/domain.ts';
import type { DealView } from '#shared/deals/domain.ts';
import type { Stage } from '#shared/pipelines/domain.ts';
import { createDeal } from '#shared/deals/use-cases.ts';
import { seedSalesDefaults } from '#shared/pipelines/sales-defaults.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import { loadConfig } from '#infra/config/load.ts';
import { createLead } from '#shared/leads/use-cases.ts';
import { createContact } from '#shared/contacts/use-cases.ts';
import { createTask } from '#shared/tasks/use-cases.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { contactAdapters } from '#shared/contacts/runtime.ts';
import { taskAdapters } from '#shared/tasks/runtime.ts';
import { appointmentAdapters } from '#shared/appointments/runtime.ts';
import { createAppointment } from '#shared/appointments/use-cases.ts';
import type { Appointment } from '#shared/appointments/domain.ts';
import type { LeadView } from '#shared/leads/domain.ts';
import type { ContactView } from '#shared/contacts/domain.ts';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import { freePort } from '#infra/local/ports.ts';
import { ensureLocalSecret, startLocalSecretsManager, type LocalSecretsManager } from '#infra/local/secrets-manager.ts';
import { BENCH_CURSOR_SECRET, BENCH_REGION, BENCH_TABLE, lambdaEnv } from './env.ts';
import type { Caller } from './events.ts';

// DynamoDB Local in memory with the table of the spec, the process environment of a Lambda
// pointed at it, and the records the routes read, written through the same use cases the API
// runs (as infra/local/seed.ts does), so counters and keys are what production holds.

export interface BenchDatabase {
  readonly dynamo: DynamoDbLocal;
  /** Holds the cursor key the handlers read at run time, as in AWS. */
  readonly secrets: LocalSecretsManager;
  readonly fixture: Fixture;
}

/** What the request cases read and change. Later resources (deals, leads...) add theirs here. */
export interface Fixture {
  readonly users: { admin: User; manager: User; rep1: User; rep2: User; solo: User };
  readonly teams: { east: Team; west: Team };
  readonly pipelineId: string;
  /** Active stages first, then won, lost, unqualified. */
  readonly stages: readonly Stage[];
  /** DEALS_PER_OWNER deals for each rep, newest last. */
  readonly deals: { rep1: DealView[]; rep2: DealView[]; solo: DealView[] };
  readonly leads: { rep1: LeadView[] };
  readonly contacts: { rep1: ContactView[] };
  /** APPOINTMENTS_PER_OWNER appointments of each rep in the week of 2030-01-07, every other one attended by the next rep. */
  readonly appointments: { rep1: Appointment[] };
}

export const APPOINTMENTS_PER_OWNER = 10;

export const DEALS_PER_OWNER = 30;

const SYSTEM = { user_id: 'system', email: '', role: 'admin' as const, direct_reports: [] };

export async function startBenchDatabase(): Promise<BenchDatabase> {
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  const secrets = await startLocalSecretsManager({ scope: { accountId: '000000000000', region: BENCH_REGION } });
  try {
    await ensureTable(dynamo.endpoint, BENCH_TABLE);
    await ensureLocalSecret({ endpoint: secrets.endpoint, region: BENCH_REGION, name: BENCH_CURSOR_SECRET });
    // Before any handler module loads: they read it at import (logger) or on first use (table).
    Object.assign(
      process.env,
      lambdaEnv({ functionName: 'bench', dynamoEndpoint: dynamo.endpoint, secretsManagerEndpoint: secrets.endpoint }),
    );
    return { dynamo, secrets, fixture: await seed() };
  } catch (error) {
    await secrets.stop();
    await dynamo.stop();
    throw error;
  }
}

async function seed(): Promise<Fixture> {
  const deps = identityAdapters();
  const call = callContext(SYSTEM, 'bench-seed', runtimeClock, runtimeIds);
  const east = await createTeam(deps, call, { name: 'Sales East' });
  const west = await createTeam(deps, call, { name: 'Sales West' });
  const admin = await createUser(deps, call, { name: 'Ada Admin', email: 'admin@example.com', role: 'admin' });
  const manager = await createUser(deps, call, {
    name: 'Max Manager',
    email: 'manager@example.com',
    role: 'manager',
    team_id: east.id,
  });
  const rep = (name: string, email: string) =>
    createUser(deps, call, { name, email, role: 'user', reports_to: manager.id, team_id: east.id });
  const rep1 = await rep('Rita Rep', 'rep1@example.com');
  const rep2 = await rep('Ravi Rep', 'rep2@example.com');
  const solo = await createUser(deps, call, { name: 'Sol Solo', email: 'solo@example.com', role: 'user', team_id: west.id });
  await updateAccount({ account: deps.account, defaults: accountDefaults() }, call, { name: 'Bench Inc.' });
  await seedSalesDefaults(pipelineAdapters(), call, loadConfig());
  const pipelineId = (await pipelineAdapters().pipelines.listPipelines({ limit: 1 })).items[0]!.id;
  const stages = await pipelineAdapters().pipelines.ofPipeline(pipelineId);
  const dealsOf = async (owner: User) => {
    const owned: DealView[] = [];
    for (let i = 0; i < DEALS_PER_OWNER; i++) {
      const stage = stages[i % 4]!;
      owned.push(
        await createDeal(dealAdapters(), call, {
          name: `${owner.name} deal ${i}`,
          owner_id: owner.id,
          value: `${1000 + i}.50`,
          stage_id: stage.id,
        }),
      );
    }
    return owned;
  };
  const deals = { rep1: await dealsOf(rep1), rep2: await dealsOf(rep2), solo: await dealsOf(solo) };
  const leads: LeadView[] = [];
  const contacts: ContactView[] = [];
  for (const owner of [rep1, rep2, solo]) {
    for (let i = 0; i < 10; i++) {
      const lead = await createLead(leadAdapters(), call, {
        first_name: 'Lena',
        last_name: `${owner.name} ${i}`,
        owner_id: owner.id,
      });
      const contact = await createContact(contactAdapters(), call, {
        first_name: 'Carl',
        last_name: `${owner.name} ${i}`,
        owner_id: owner.id,
      });
      await createTask(taskAdapters(), call, {
        content: `Call back ${i}`,
        owner_id: owner.id,
        due_date: new Date(Date.now() + (i - 5) * 86_400_000).toISOString(),
      });
      if (owner === rep1) {
        leads.push(lead);
        contacts.push(contact);
      }
    }
  }
  const appointments: Appointment[] = [];
  const reps = [rep1, rep2, solo];
  for (const [r, owner] of reps.entries()) {
    for (let i = 0; i < APPOINTMENTS_PER_OWNER; i++) {
      const start = Date.UTC(2030, 0, 7 + (i % 7), 8 + r, i);
      const other = reps[(r + 1) % reps.length]!;
      const made = await createAppointment(appointmentAdapters(), call, {
        name: `${owner.name} visit ${i}`,
        start_at: new Date(start).toISOString(),
        end_at: new Date(start + 3_600_000).toISOString(),
        owner_id: owner.id,
        attendees: i % 2 === 0 ? [{ type: 'user', id: other.id }] : [],
        ...(owner === rep1 ? { resource_type: 'contact' as const, resource_id: contacts[i]!.id } : {}),
      });
      if (owner === rep1) appointments.push(made);
    }
  }
  return {
    users: { admin, manager, rep1, rep2, solo },
    teams: { east, west },
    pipelineId,
    stages,
    deals,
    leads: { rep1: leads },
    contacts: { rep1: contacts },
    appointments: { rep1: appointments },
  };
}

export function callerOf(user: User): Caller {
  return { user_id: user.id, email: user.email, role: user.role };
}
