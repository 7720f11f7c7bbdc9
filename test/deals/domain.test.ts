import { describe, expect, it } from 'vitest';
import { createDealInput, dateSchema, normalizeTags, placeInStage, updateDealInput, type Deal } from '#shared/deals/domain.ts';
import type { Stage } from '#shared/pipelines/domain.ts';

const stage = (category: Stage['category'], id = `S-${category}`): Stage => ({
  id,
  pipeline_id: 'P2',
  name: category,
  category,
  position: 1,
  likelihood: 0,
  deal_count: 0,
  created_at: '',
  updated_at: '',
  version: 1,
});

const deal = (overrides: Partial<Deal> = {}): Deal => ({
  id: 'D1',
  name: 'Deal',
  value: '1.00',
  currency: 'USD',
  owner_id: 'U1',
  creator_id: 'U1',
  contact_id: null,
  organization_id: null,
  pipeline_id: 'P1',
  stage_id: 'S-old',
  hot: false,
  estimated_close_date: null,
  customized_win_likelihood: null,
  source_id: null,
  loss_reason_id: null,
  unqualified_reason_id: null,
  tags: [],
  custom_fields: {},
  last_stage_change_at: 'before',
  last_stage_change_by_id: 'U0',
  added_at: '',
  created_at: '',
  updated_at: '',
  version: 1,
  ...overrides,
});

describe('placeInStage', () => {
  it('moves the deal, its pipeline and the last stage change', () => {
    const placed = placeInStage(deal(), stage('active'), { at: 'now', by: 'U9' });
    expect(placed).toMatchObject({
      stage_id: 'S-active',
      pipeline_id: 'P2',
      last_stage_change_at: 'now',
      last_stage_change_by_id: 'U9',
    });
  });

  it('needs a loss reason for a lost stage and an unqualified reason for an unqualified one', () => {
    expect(() => placeInStage(deal(), stage('lost'), null)).toThrowError(
      expect.objectContaining({ problems: [expect.objectContaining({ field: 'body.loss_reason_id' })] }),
    );
    expect(() => placeInStage(deal(), stage('unqualified'), null)).toThrowError(
      expect.objectContaining({ problems: [expect.objectContaining({ field: 'body.unqualified_reason_id' })] }),
    );
    expect(placeInStage(deal({ loss_reason_id: 'R1' }), stage('lost'), null).loss_reason_id).toBe('R1');
  });

  it('clears a reason that no longer fits the stage', () => {
    const placed = placeInStage(deal({ loss_reason_id: 'R1', unqualified_reason_id: 'R2' }), stage('won'), null);
    expect(placed).toMatchObject({ loss_reason_id: null, unqualified_reason_id: null });
  });
});

describe('deal inputs', () => {
  it('take ISO 4217 currencies in use, not any three capitals', () => {
    expect(createDealInput.safeParse({ name: 'A', currency: 'EUR' }).success).toBe(true);
    expect(createDealInput.safeParse({ name: 'A', currency: 'ZZZ' }).success).toBe(false);
    expect(updateDealInput.safeParse({ currency: 'XYZ' }).success).toBe(false);
  });

  it('needs a name to create and at least one field to change', () => {
    expect(createDealInput.safeParse({}).success).toBe(false);
    expect(createDealInput.safeParse({ name: 'A' }).success).toBe(true);
    expect(updateDealInput.safeParse({}).success).toBe(false);
  });

  it('accepts only real calendar dates', () => {
    expect(dateSchema.safeParse('2027-02-28').success).toBe(true);
    expect(dateSchema.safeParse('2027-02-30').success).toBe(false);
    expect(dateSchema.safeParse('27-02-01').success).toBe(false);
  });

  it('refuses a win likelihood over 100 and unknown fields', () => {
    expect(updateDealInput.safeParse({ customized_win_likelihood: 101 }).success).toBe(false);
    expect(updateDealInput.safeParse({ stage: 'x' }).success).toBe(false);
  });

  it('trims tags and drops duplicates and blanks', () => {
    expect(normalizeTags([' a ', 'a', '', 'b'])).toEqual(['a', 'b']);
  });
});
