import { describe, expect, it } from 'vitest';
import { parseConfig } from '#infra/config/load.ts';
import { automationInput, automationPattern, automationRules } from '#infra/automations.ts';
import { applyInputTransformer, inputTransformerProblems } from '#infra/local/eventbridge/input-transformer.ts';
import { matchesPattern } from '#shared/kernel/event-patterns.ts';
import { busRule } from '#infra/rules.ts';
import { configuredActions, type Automation } from '#shared/automations/domain.ts';
import { shippedConfig } from '#test/infra/crm-app.ts';

// Pattern building: what a pattern can express goes into it (trigger, stage and pipeline keys,
// string and boolean fields, integer comparisons); what it cannot (users by e-mail, teams,
// custom fields, money strings) is left to the function.

function actionOf(automation: Record<string, unknown>) {
  const config = parseConfig({ ...shippedConfig(), automations: [automation] });
  return configuredActions(config.automations as Automation[])[0]!;
}

const deal = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'e1',
  'detail-type': 'deal.stage_changed',
  source: 'crm',
  account: '000000000000',
  time: '2031-03-04T09:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: { metadata: { event_id: 'E1', event_type: 'deal.stage_changed' }, data },
  ...extra,
});

describe('automation patterns', () => {
  it('holds the trigger, the stage and pipeline keys and the filters a pattern can express', () => {
    const action = actionOf({
      name: 'big-hot-quotes',
      trigger: { event: 'deal.stage_changed', stage: 'quote', pipeline: 'sales-pipeline' },
      filters: [
        { field: 'hot', op: 'equals', value: true },
        { field: 'currency', op: 'one_of', value: ['EUR', 'USD'] },
        { field: 'customized_win_likelihood', op: 'greater_than', value: 40 },
        { field: 'estimated_close_date', op: 'empty' },
        // Left to the function:
        { field: 'owner', op: 'equals', value: 'rep1@example.com' },
        { field: 'team', op: 'equals', value: 'Paris' },
        { field: 'custom:Region', op: 'equals', value: 'EMEA' },
        { field: 'value', op: 'greater_than', value: 1000 },
        { field: 'hot', op: 'not_empty' },
      ],
      actions: [{ type: 'create_task', content: 'Send the quote' }],
    });
    expect(automationPattern(action)).toEqual({
      source: ['crm'],
      'detail-type': ['deal.stage_changed'],
      detail: {
        data: {
          stage_key: ['quote'],
          pipeline_key: ['sales-pipeline'],
          hot: [true],
          currency: ['EUR', 'USD'],
          customized_win_likelihood: [{ numeric: ['>', 40] }],
          estimated_close_date: [null, ''],
        },
      },
    });
  });

  it('matches the events it should on the local matcher, and refuses replays once a bus rule', () => {
    const action = actionOf({
      name: 'quote',
      trigger: { event: 'deal.stage_changed', stage: 'quote' },
      filters: [{ field: 'hot', op: 'equals', value: true }],
      actions: [{ type: 'create_task', content: 'Send the quote' }],
    });
    const rule = busRule({ ...automationRules({ automations: [actionToAutomation(action)] })[0]!, sideEffects: true });
    const quoteHot = deal({ stage_key: 'quote', hot: true });
    expect(matchesPattern(rule.pattern, quoteHot)).toBe(true);
    expect(matchesPattern(rule.pattern, deal({ stage_key: 'won', hot: true }))).toBe(false);
    expect(matchesPattern(rule.pattern, deal({ stage_key: 'quote', hot: false }))).toBe(false);
    expect(matchesPattern(rule.pattern, { ...quoteHot, 'detail-type': 'deal.created' })).toBe(false);
    expect(matchesPattern(rule.pattern, { ...quoteHot, 'replay-name': 'r1' })).toBe(false);
  });

  it('hands the function {action, event} through a valid input transformer, "<" and ">" escaped', () => {
    const action = actionOf({
      name: 'quote',
      trigger: { event: 'deal.created' },
      actions: [{ type: 'create_task', content: 'Send <the quote> "now"' }],
    });
    const input = automationInput(action);
    expect(input.InputTemplate).not.toMatch(/<the quote>/);
    expect(inputTransformerProblems(input)).toEqual([]);
    const event = deal({ stage_key: 'incoming' });
    expect(applyInputTransformer(input, event, { name: 'automation-quote-1', arn: 'arn' })).toEqual({
      action: JSON.parse(JSON.stringify(action)),
      event: event.detail,
    });
  });
});

function actionToAutomation(action: ReturnType<typeof actionOf>): Automation {
  return { name: action.automation, trigger: action.trigger, filters: [...action.filters], actions: [action.action] };
}
