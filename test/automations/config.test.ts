import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '#infra/config/load.ts';
import { EVENT_PATTERN_MAX_CHARS, automationRules } from '#infra/automations.ts';
import { busRules } from '#infra/rules.ts';
import { SHIPPED_CONFIG_PATH } from '#test/infra/crm-app.ts';

// The automations in crm.config.json: parsed with zod, then checked against what config knows
// (the default pipeline's stage keys, the trigger record's fields), each problem at its path
// and naming the automation or action; the number of rules and each pattern's size capped.

const shipped = () => {
  const raw = JSON.parse(readFileSync(SHIPPED_CONFIG_PATH, 'utf8'));
  delete raw.$schema;
  return raw as Record<string, any>;
};

const QUOTE_TASK = {
  name: 'quote-follow-up',
  trigger: { event: 'deal.stage_changed', stage: 'quote' },
  actions: [{ type: 'create_task', content: 'Send the quote', assignee: 'owner', due_in: '2d' }],
};

function withAutomations(automations: unknown[], change: (c: Record<string, any>) => void = () => {}) {
  const raw = shipped();
  raw.automations = automations;
  change(raw);
  return raw;
}

/** The message lines of the ConfigError a config raises. */
function problems(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  }
  throw new Error('the config was accepted');
}

describe('automations in the config', () => {
  it('accepts the README example and names its action "<automation>-<n>"', () => {
    const config = parseConfig(withAutomations([QUOTE_TASK]));
    expect(config.automations[0]!.filters).toEqual([]);
    expect(automationRules(config).map((r) => r.action)).toEqual(['quote-follow-up-1']);
  });

  it("derives the default pipeline's keys from the names, and takes keys the config sets", () => {
    const raw = withAutomations([{ ...QUOTE_TASK, trigger: { event: 'deal.stage_changed', stage: 'offer' } }], (c) => {
      c.default_pipeline.stages[2].key = 'offer';
    });
    expect(() => parseConfig(raw)).not.toThrow();
    expect(problems(withAutomations([QUOTE_TASK], (c) => (c.default_pipeline.stages[2].key = 'offer')))).toEqual([
      '<config>: automations[0].trigger.stage: automation "quote-follow-up": no stage "quote" in the default pipeline "sales-pipeline" (its stages: incoming, qualified, offer, closure, won, lost, unqualified)',
    ]);
  });

  it("fails on a stage typo with the path and the automation's name", () => {
    const lines = problems(withAutomations([{ ...QUOTE_TASK, trigger: { event: 'deal.stage_changed', stage: 'qoute' } }]));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^<config>: automations\[0\]\.trigger\.stage: automation "quote-follow-up": no stage "qoute"/);
  });

  it('checks filters: fields the record has, operators and their values, users by e-mail, stage keys', () => {
    const lines = problems(
      withAutomations([
        {
          ...QUOTE_TASK,
          filters: [
            { field: 'vaule', op: 'equals', value: '1' },
            { field: 'value', op: 'greater_than', value: 'big' },
            { field: 'hot', op: 'empty', value: true },
            { field: 'owner', op: 'one_of', value: ['rep1'] },
            { field: 'stage', op: 'one_of', value: ['quote', 'nope'] },
            { field: 'name', op: 'equals', value: ['a', 'b'] },
          ],
        },
      ]),
    );
    expect(lines).toEqual([
      expect.stringMatching(
        /^<config>: automations\[0\]\.filters\[0\]\.field: automation "quote-follow-up": a deal has no field "vaule"/,
      ),
      '<config>: automations[0].filters[1].value: automation "quote-follow-up": "greater_than" compares with a number',
      '<config>: automations[0].filters[2].value: automation "quote-follow-up": "empty" takes no value',
      '<config>: automations[0].filters[3].value: automation "quote-follow-up": users are named by e-mail, "rep1" is not one',
      expect.stringMatching(/^<config>: automations\[0\]\.filters\[4\]\.value: automation "quote-follow-up": no stage "nope"/),
      '<config>: automations[0].filters[5].value: automation "quote-follow-up": "equals" takes one value; use "one_of" for a list',
    ]);
  });

  it('refuses a stage on a lead trigger, a bad due offset and a bad action (zod paths)', () => {
    const lines = problems(
      withAutomations([
        {
          name: 'new-lead',
          trigger: { event: 'lead.created', stage: 'quote' },
          actions: [
            { type: 'create_task', content: 'Call', due_in: '2 days' },
            { type: 'set_field', field: 'x' },
          ],
        },
      ]),
    );
    expect(lines).toContain('<config>: automations[0].actions[0].due_in: an offset such as "30m", "3h" or "2d"');
    expect(lines.some((l) => l.startsWith('<config>: automations[0].actions[1].value: '))).toBe(true);
  });

  it('refuses two actions of one name, naming both places', () => {
    const lines = problems(
      withAutomations([
        { ...QUOTE_TASK, actions: [{ ...QUOTE_TASK.actions[0], name: 'send-quote' }] },
        { ...QUOTE_TASK, name: 'other', actions: [{ ...QUOTE_TASK.actions[0], name: 'send-quote' }] },
      ]),
    );
    expect(lines).toEqual([
      '<config>: automations[1].actions[0].name: action "send-quote": the name is taken by automations[0].actions[0]',
    ]);
  });

  it('refuses more rules than max_automation_rules, naming the first action over', () => {
    const many = Array.from({ length: 3 }, (_, i) => ({ ...QUOTE_TASK, name: `a${i}` }));
    expect(problems(withAutomations(many, (c) => (c.max_automation_rules = 2)))).toEqual([
      '<config>: automations: 3 automated actions make 3 EventBridge rules, more than max_automation_rules (2); the first over is action "a2-1" (automations[2].actions[0])',
    ]);
  });

  it("refuses a pattern over EventBridge's size limit, naming the action", () => {
    const names = Array.from({ length: 120 }, (_, i) => `a rather long deal name number ${i}`);
    const raw = withAutomations([{ ...QUOTE_TASK, filters: [{ field: 'name', op: 'one_of', value: names.slice(0, 100) }] }]);
    const lines = problems(raw);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^<config>: automations\\[0\\]\\.actions\\[0\\]: action "quote-follow-up-1": its event pattern has \\d+ characters, more than EventBridge's ${EVENT_PATTERN_MAX_CHARS}`,
      ),
    );
  });

  it('adds one bus rule per action after the built-in ones, each refusing replays', () => {
    const config = parseConfig(
      withAutomations([
        { ...QUOTE_TASK, actions: [QUOTE_TASK.actions[0], { type: 'set_field', field: 'Quoted', value: true }] },
        { name: 'new-lead', trigger: { event: 'lead.created' }, actions: [{ type: 'create_task', content: 'Call them' }] },
      ]),
    );
    const rules = busRules(config).filter((r) => r.target === 'automated-actions');
    expect(rules.map((r) => r.name)).toEqual([
      'automation-quote-follow-up-1',
      'automation-quote-follow-up-2',
      'automation-new-lead-1',
    ]);
    for (const rule of rules) {
      expect(rule.sideEffects).toBe(true);
      expect(rule.pattern['replay-name']).toEqual([{ exists: false }]);
    }
  });
});
