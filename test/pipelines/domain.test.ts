import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '#shared/kernel/errors.ts';
import {
  checkLikelihoodChange,
  checkNewStageCategory,
  checkPipelineStages,
  createPipelineInput,
  createStageInput,
  dealCountOf,
  inPipelineOrder,
  insertActiveStage,
  MAX_ACTIVE_STAGES,
  moveActiveStage,
  nameKey,
  newPipelineStages,
  renumber,
  showsWholePipeline,
  updateStageInput,
  withoutStage,
  type Stage,
  type StagePlan,
} from '#shared/pipelines/domain.ts';
import { testId } from '#test/helpers/fakes.ts';
import { makeStage, pipelineWithStages } from './fakes.ts';

const P = testId(10);

/** Incoming(1) Qualified(2) Quote(3) Won(4) Lost(5) Unqualified(6), ids 101..106. */
const stages = () => pipelineWithStages(P, ['Incoming', 'Qualified', 'Quote'], 101).stages;
const names = (list: Stage[]) => list.map((s) => s.name);

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return expect.unreachable('expected a throw');
}

function fields(run: () => unknown): string[] {
  const error = thrown(run);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).problems.map((p) => p.field);
}

const plan = (name: string, category: StagePlan['category'], likelihood: number): StagePlan => ({ name, category, likelihood });
const CLOSED = [plan('Won', 'won', 100), plan('Lost', 'lost', 0), plan('Unqualified', 'unqualified', 0)];

describe('newPipelineStages', () => {
  it('defaults to a single Incoming stage at 10 %, then Won 100 %, Lost 0 %, Unqualified 0 %', () => {
    expect(newPipelineStages(undefined)).toEqual([plan('Incoming', 'active', 10), ...CLOSED]);
  });

  it('keeps the active stages given, in order, before the closed ones', () => {
    expect(
      newPipelineStages([
        { name: 'Demo', likelihood: 30 },
        { name: 'Trial', likelihood: 60 },
      ]),
    ).toEqual([plan('Demo', 'active', 30), plan('Trial', 'active', 60), ...CLOSED]);
  });
});

describe('checkPipelineStages', () => {
  it('accepts the default config shape', () => {
    expect(() =>
      checkPipelineStages([plan('Incoming', 'active', 10), plan('Quote', 'active', 50), ...CLOSED], 'f'),
    ).not.toThrow();
  });

  it('refuses a pipeline without an active stage', () => {
    expect(fields(() => checkPipelineStages(CLOSED, 'default_pipeline.stages'))).toEqual(['default_pipeline.stages']);
  });

  it('refuses an active stage after a closed one, naming it', () => {
    const list = [plan('A', 'active', 10), CLOSED[0]!, plan('B', 'active', 20), CLOSED[1]!, CLOSED[2]!];
    expect(fields(() => checkPipelineStages(list, 's'))).toEqual(['s.2.category']);
  });

  it('refuses a second won stage and a missing lost stage', () => {
    const list = [plan('A', 'active', 10), CLOSED[0]!, plan('Won again', 'won', 100), CLOSED[2]!];
    const error = thrown(() => checkPipelineStages(list, 's')) as ValidationError;
    expect(error.problems.map((p) => p.message)).toEqual([
      'needs exactly one "won" stage, has 2',
      'needs exactly one "lost" stage, has 0',
    ]);
  });

  it('refuses a closed stage whose likelihood is not its outcome', () => {
    const list = [plan('A', 'active', 10), plan('Won', 'won', 90), CLOSED[1]!, plan('Unqualified', 'unqualified', 5)];
    expect(fields(() => checkPipelineStages(list, 's'))).toEqual(['s.1.likelihood', 's.3.likelihood']);
  });

  it(`refuses more than ${MAX_ACTIVE_STAGES} active stages`, () => {
    const many = Array.from({ length: MAX_ACTIVE_STAGES + 1 }, (_, i) => plan(`S${i}`, 'active', 10));
    expect(fields(() => checkPipelineStages([...many, ...CLOSED], 's'))).toEqual(['s']);
    expect(() => checkPipelineStages([...many.slice(1), ...CLOSED], 's')).not.toThrow();
  });
});

describe('insertActiveStage', () => {
  const added = makeStage(testId(200), P, { name: 'New', position: 0 });

  it('goes after the last active stage by default, before Won', () => {
    expect(names(insertActiveStage(stages(), added, undefined))).toEqual([
      'Incoming',
      'Qualified',
      'Quote',
      'New',
      'Won',
      'Lost',
      'Unqualified',
    ]);
  });

  it('goes at the position given among the active stages', () => {
    expect(names(insertActiveStage(stages(), added, 1)).slice(0, 4)).toEqual(['New', 'Incoming', 'Qualified', 'Quote']);
    expect(names(insertActiveStage(stages(), added, 4)).slice(3, 5)).toEqual(['New', 'Won']);
  });

  it('refuses a position among the closed stages, naming body.position', () => {
    expect(fields(() => insertActiveStage(stages(), added, 5))).toEqual(['body.position']);
  });

  it(`refuses a stage beyond ${MAX_ACTIVE_STAGES} active ones`, () => {
    const full = pipelineWithStages(
      P,
      Array.from({ length: MAX_ACTIVE_STAGES }, (_, i) => `S${i}`),
      300,
    ).stages;
    expect(fields(() => insertActiveStage(full, added, undefined))).toEqual(['body.pipeline_id']);
  });
});

describe('moveActiveStage', () => {
  it('moves an active stage up or down among the active ones', () => {
    const list = stages();
    expect(names(moveActiveStage(list, list[2]!.id, 1))).toEqual([
      'Quote',
      'Incoming',
      'Qualified',
      'Won',
      'Lost',
      'Unqualified',
    ]);
    expect(names(moveActiveStage(list, list[0]!.id, 3))).toEqual([
      'Qualified',
      'Quote',
      'Incoming',
      'Won',
      'Lost',
      'Unqualified',
    ]);
  });

  it('refuses to move a closed stage', () => {
    const list = stages();
    expect(fields(() => moveActiveStage(list, list[3]!.id, 1))).toEqual(['body.position']);
  });

  it('refuses a position beyond the active stages', () => {
    const list = stages();
    expect(fields(() => moveActiveStage(list, list[0]!.id, 4))).toEqual(['body.position']);
  });
});

describe('withoutStage', () => {
  it('drops an active stage', () => {
    const list = stages();
    expect(names(withoutStage(list, list[1]!.id))).toEqual(['Incoming', 'Quote', 'Won', 'Lost', 'Unqualified']);
  });

  it.each([3, 4, 5])('refuses to drop closed stage #%i with a conflict that says to rename it', (index) => {
    const list = stages();
    const error = thrown(() => withoutStage(list, list[index]!.id));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/cannot be deleted.*rename it instead/);
  });
});

it('withoutStage refuses to drop the last active stage', () => {
  const list = pipelineWithStages(P, ['Only'], 400).stages;
  expect(thrown(() => withoutStage(list, list[0]!.id))).toBeInstanceOf(ConflictError);
});

describe('renumber', () => {
  it('answers only the stages whose position changes, with the new position', () => {
    const list = stages();
    const order = [list[1]!, list[0]!, ...list.slice(2)];
    expect(renumber(order).map((r) => [r.stage.name, r.from, r.stage.position])).toEqual([
      ['Qualified', 2, 1],
      ['Incoming', 1, 2],
    ]);
    expect(renumber(list)).toEqual([]);
  });
});

describe('inPipelineOrder', () => {
  it('sorts by position', () => {
    expect(names(inPipelineOrder([...stages()].reverse()))).toEqual(names(stages()));
  });
});

describe('likelihood and category rules', () => {
  it('fixes a closed stage likelihood but accepts its own value', () => {
    const [, , , won, lost] = stages();
    expect(fields(() => checkLikelihoodChange(won!, 90))).toEqual(['body.likelihood']);
    expect(fields(() => checkLikelihoodChange(lost!, 10))).toEqual(['body.likelihood']);
    expect(() => checkLikelihoodChange(won!, 100)).not.toThrow();
    expect(() => checkLikelihoodChange(stages()[0]!, 95)).not.toThrow();
  });

  it.each(['won', 'lost', 'unqualified'] as const)('refuses to add a %s stage, naming body.category', (category) => {
    expect(fields(() => checkNewStageCategory(category))).toEqual(['body.category']);
  });

  it('accepts an active stage or no category', () => {
    expect(() => checkNewStageCategory('active')).not.toThrow();
    expect(() => checkNewStageCategory(undefined)).not.toThrow();
  });
});

describe('showsWholePipeline', () => {
  it('is true only when the read shows the won, lost and unqualified stages', () => {
    expect(showsWholePipeline(stages())).toBe(true);
    expect(showsWholePipeline(stages().filter((s) => s.category !== 'lost'))).toBe(false);
    expect(showsWholePipeline([])).toBe(false);
  });
});

describe('dealCountOf and nameKey', () => {
  it('sums deals across stages', () => {
    const list = stages();
    list[0]!.deal_count = 2;
    list[4]!.deal_count = 3;
    expect(dealCountOf(list)).toBe(5);
  });

  it('compares names without case or surrounding spaces', () => {
    expect(nameKey('  Went With A Competitor ')).toBe('went with a competitor');
  });
});

describe('input schemas', () => {
  it('reads a new pipeline with optional active stages', () => {
    expect(createPipelineInput.parse({ name: ' Enterprise ' })).toEqual({ name: 'Enterprise' });
    const bad = createPipelineInput.safeParse({ name: 'X', stages: [{ name: 'A', likelihood: 101 }] });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['stages.0.likelihood']);
    expect(createPipelineInput.safeParse({ name: 'X', stages: [] }).success).toBe(false);
    expect(createPipelineInput.safeParse({ name: 'X', extra: 1 }).success).toBe(false);
  });

  it('reads a new stage; category is read so that the rule can name it', () => {
    const input = { pipeline_id: P, name: 'Demo', likelihood: 40, position: 2, category: 'won' };
    expect(createStageInput.parse(input)).toEqual(input);
    expect(createStageInput.safeParse({ ...input, position: 0 }).success).toBe(false);
    expect(createStageInput.safeParse({ ...input, likelihood: 12.5 }).success).toBe(false);
  });

  it('needs at least one field to change a stage', () => {
    expect(updateStageInput.safeParse({}).success).toBe(false);
    expect(updateStageInput.parse({ position: 2 })).toEqual({ position: 2 });
  });
});
