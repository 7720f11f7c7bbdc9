import { describe, expect, it } from 'vitest';
import { seedSalesDefaults, type SalesDefaultsConfig } from '#shared/pipelines/sales-defaults.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import { DEFAULT_NAMED_LISTS } from '#shared/pipelines/reasons.ts';
import { fakeCall, makeUser, principalOf, testId } from '#test/helpers/fakes.ts';
import { InMemoryNamedListRepository, InMemoryPipelineRepository, makeEntry, makePipeline, pipelineWithStages } from './fakes.ts';

const config: SalesDefaultsConfig = {
  default_pipeline: {
    name: 'Sales Pipeline',
    stages: [
      { name: 'Incoming', category: 'active', likelihood: 10 },
      { name: 'Qualified', category: 'active', likelihood: 25 },
      { name: 'Quote', category: 'active', likelihood: 50 },
      { name: 'Closure', category: 'active', likelihood: 75 },
      { name: 'Won', category: 'won', likelihood: 100 },
      { name: 'Lost', category: 'lost', likelihood: 0 },
      { name: 'Unqualified', category: 'unqualified', likelihood: 0 },
    ],
  },
};

const ALL_CREATED = {
  pipeline: 'created',
  loss_reasons: 'created',
  deal_unqualified_reasons: 'created',
  lead_unqualified_reasons: 'created',
  sources: 'created',
  call_outcomes: 'created',
};

function setup() {
  const pipelines = new InMemoryPipelineRepository();
  const namedLists = new InMemoryNamedListRepository();
  const call = fakeCall(principalOf(makeUser(testId(1), { role: 'admin' })));
  return { pipelines, namedLists, deps: { pipelines, namedLists }, call };
}

describe('seedSalesDefaults', () => {
  it('creates the default pipeline from the config and the starter lists on a fresh deployment', async () => {
    const { pipelines, namedLists, deps, call } = setup();
    expect(await seedSalesDefaults(deps, call, config)).toEqual(ALL_CREATED);
    const [pipeline] = (await pipelines.listPipelines({ limit: 10 })).items;
    expect(pipeline).toMatchObject({ name: 'Sales Pipeline', version: 1 });
    expect((await pipelines.ofPipeline(pipeline!.id)).map((s) => [s.name, s.category, s.position, s.likelihood])).toEqual(
      config.default_pipeline.stages.map((s, i) => [s.name, s.category, i + 1, s.likelihood]),
    );
    expect(namedLists.names('loss_reason')).toEqual(['Price', 'Timing', 'Budget', 'Went with a competitor', 'No decision']);
    expect(namedLists.names('deal_unqualified_reason')).toEqual(['Timing', 'Budget', 'Reorganisation', 'Not a fit']);
    expect(namedLists.names('lead_unqualified_reason')).toEqual([
      'No budget',
      'Not a decision maker',
      'Not interested',
      'Bad contact details',
    ]);
    expect(namedLists.names('source')).toEqual(['Website', 'Referral', 'Cold call', 'Event', 'Partner']);
    expect(pipelines.events.map((e) => e.metadata.event_type)).toEqual(['pipeline.created', ...Array(7).fill('stage.created')]);
    expect(namedLists.events).toHaveLength(Object.values(DEFAULT_NAMED_LISTS).flat().length);
  });

  it('does nothing more on a second run', async () => {
    const { pipelines, namedLists, deps, call } = setup();
    await seedSalesDefaults(deps, call, config);
    const events = pipelines.events.length + namedLists.events.length;
    expect(await seedSalesDefaults(deps, call, config)).toEqual({
      pipeline: 'already_present',
      loss_reasons: 'already_present',
      deal_unqualified_reasons: 'already_present',
      lead_unqualified_reasons: 'already_present',
      sources: 'already_present',
      call_outcomes: 'already_present',
    });
    expect(pipelines.events.length + namedLists.events.length).toBe(events);
    expect(pipelines.store.pipelines.size).toBe(1);
  });

  it('fills only what is empty: an existing pipeline or list is left as the admins made it', async () => {
    const { pipelines, namedLists, deps, call } = setup();
    const own = pipelineWithStages(testId(5), ['Lead'], 50, { name: 'Our way' });
    pipelines.store.seed({ pipelines: [own.pipeline], stages: own.stages });
    namedLists.seed('source', [makeEntry(testId(60), 'Trade show')]);
    expect(await seedSalesDefaults(deps, call, config)).toEqual({
      ...ALL_CREATED,
      pipeline: 'already_present',
      sources: 'already_present',
    });
    expect(pipelines.store.pipelines.size).toBe(1);
    expect(namedLists.names('source')).toEqual(['Trade show']);
    expect(namedLists.names('loss_reason')).toHaveLength(5);
  });

  it('reports already_present when a concurrent run created the pipeline first', async () => {
    const { pipelines, deps, call } = setup();
    pipelines.beforeWrite = () => {
      pipelines.beforeWrite = undefined;
      pipelines.store.seed({ pipelines: [makePipeline(testId(7), { name: 'sales pipeline' })] });
    };
    expect((await seedSalesDefaults(deps, call, config)).pipeline).toBe('already_present');
    expect(pipelines.store.pipelines.size).toBe(1);
  });

  it('refuses a config whose closed stage likelihood is not its outcome, naming the field', async () => {
    const { pipelines, deps, call } = setup();
    const stages = config.default_pipeline.stages.map((s) => (s.category === 'won' ? { ...s, likelihood: 90 } : s));
    const error = await seedSalesDefaults(deps, call, { default_pipeline: { name: 'P', stages } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([
      { field: 'default_pipeline.stages.4.likelihood', message: "a won stage's likelihood is always 100" },
    ]);
    expect(pipelines.store.pipelines.size).toBe(0);
  });
});
