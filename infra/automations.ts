import * as z from 'zod/mini';
import {
  AUTOMATION_SUMMARIES_MAX_CHARS,
  automationSummaries,
  configuredActions,
  filterPatternCondition,
  filterProblem,
  filterValues,
  type Automation,
  type ConfiguredAction,
} from '#shared/automations/domain.ts';
import { EVENT_SOURCE } from '#shared/kernel/events.ts';
import { keyFromName, stageKeys } from '#shared/pipelines/domain.ts';
import { inputTransformerProblems, type InputTransformer } from './local/eventbridge/input-transformer.ts';
import type { EventPattern } from '#shared/kernel/event-patterns.ts';

// The admins' automated actions as EventBridge rules (README "Automated actions"): one rule
// per action, target the automations function, input `{action, event}` through an input
// transformer. The pattern holds every filter a pattern can express on what config knows at
// synth (trigger type, stage and pipeline keys, plain record fields with string or boolean
// values, numeric comparisons of integer fields); the function checks every filter again, and
// alone those a pattern cannot hold: users by e-mail and teams (their ids exist only at run
// time), custom fields by name (their ids too), comparisons of money strings.

/** The function every automation rule targets (infra/functions.ts). */
export const AUTOMATIONS_TARGET = 'automated-actions';

/** EventBridge's default quota on an event pattern, in characters (adjustable up to 4096). */
export const EVENT_PATTERN_MAX_CHARS = 2048;

/** The parts of the config the automations read (structural, so schema.ts can call this). */
export interface AutomationsConfig {
  readonly automations: readonly Automation[];
  readonly max_automation_rules: number;
  readonly default_pipeline: {
    readonly key?: string | undefined;
    readonly name: string;
    readonly stages: readonly { key?: string | undefined; name: string }[];
  };
}

/** A rule of the bus as infra/rules.ts declares it (kept structural to avoid an import cycle). */
export interface AutomationBusRule {
  name: string;
  description: string;
  pattern: EventPattern;
  target: string;
  sideEffects: true;
  input: InputTransformer;
  /** The configured action's name. */
  action: string;
}

/** The rule name of an action: "automation-<action>". */
export const automationRuleName = (action: string) => `automation-${action}`;

/**
 * The transformer that hands the function `{"action": <the configured action>, "event": <the
 * domain event>}`: the rule carries its action, so the function reads no config. "<" and ">"
 * in the action's text are written as JSON escapes: EventBridge would take them for placeholders.
 */
export function automationInput(action: ConfiguredAction): InputTransformer {
  const literal = JSON.stringify(action).replaceAll('<', '\\u003c').replaceAll('>', '\\u003e');
  return { InputPathsMap: { event: '$.detail' }, InputTemplate: `{"action": ${literal}, "event": <event>}` };
}

/** The event pattern of one action (before the replay guard busRule adds). */
export function automationPattern(action: ConfiguredAction): EventPattern {
  const data: Record<string, unknown[]> = {};
  if (action.trigger.stage !== undefined) data.stage_key = [action.trigger.stage];
  if (action.trigger.pipeline !== undefined) data.pipeline_key = [action.trigger.pipeline];
  for (const filter of action.filters) {
    const condition = filterPatternCondition(action.resource, filter);
    // Two filters on one field: the pattern keeps the first, the function checks both.
    if (condition && !(condition[0] in data)) data[condition[0]] = condition[1];
  }
  return {
    source: [EVENT_SOURCE],
    'detail-type': [action.trigger.event],
    ...(Object.keys(data).length > 0 ? { detail: { data } } : {}),
  } as EventPattern;
}

/** The rule of each configured action (sideEffects: the replay guard is added by busRule). */
export function automationRules(config: Pick<AutomationsConfig, 'automations'>): AutomationBusRule[] {
  return configuredActions(config.automations).map((action) => ({
    name: automationRuleName(action.name),
    description: `Automated action ${action.name} (${action.automation}): ${describeAction(action)}`.slice(0, 512),
    pattern: automationPattern(action),
    target: AUTOMATIONS_TARGET,
    sideEffects: true,
    input: automationInput(action),
    action: action.name,
  }));
}

function describeAction(action: ConfiguredAction): string {
  const on = `on ${action.trigger.event}${action.trigger.stage ? ` to ${action.trigger.stage}` : ''}`;
  return action.action.type === 'create_task'
    ? `${on}, a task "${action.action.content.slice(0, 80)}"`
    : `${on}, set ${action.action.field}`;
}

/** A problem with the automations, at a config path. */
export interface ConfigProblem {
  path: (string | number)[];
  message: string;
}

/** The size EventBridge counts: the pattern as JSON, with the replay guard. */
const patternSize = (pattern: EventPattern) => JSON.stringify({ ...pattern, 'replay-name': [{ exists: false }] }).length;

/**
 * What config can tell is wrong with the automations, each at its path and naming the
 * automation or action: unique action names, stage and pipeline keys of the default pipeline,
 * fields the trigger's record has, filter operators and values, the number of rules and each
 * pattern's size. Users by e-mail, teams, custom fields and other pipelines' keys exist only
 * at run time: the function checks them and GET /automations shows the failure.
 */
export function automationProblems(config: AutomationsConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const defaultKey = config.default_pipeline.key ?? keyFromName(config.default_pipeline.name);
  const defaultStages = stageKeys(config.default_pipeline.stages);
  const checkKeys = (
    path: (string | number)[],
    label: string,
    field: 'stage' | 'pipeline',
    values: readonly unknown[],
    pipeline: string | undefined,
  ) => {
    for (const value of values) {
      if (typeof value !== 'string') {
        problems.push({ path, message: `${label}: a ${field} is named by its key (a string)` });
      } else if (field === 'pipeline' && pipeline === undefined && value !== defaultKey) {
        // Another pipeline's key: only known at run time (its rule simply never matches until it exists).
      } else if (field === 'stage' && (pipeline === undefined || pipeline === defaultKey) && !defaultStages.includes(value)) {
        problems.push({
          path,
          message: `${label}: no stage "${value}" in the default pipeline "${defaultKey}" (its stages: ${defaultStages.join(', ')})`,
        });
      }
    }
  };

  config.automations.forEach((automation, a) => {
    const at = (...rest: (string | number)[]) => ['automations', a, ...rest];
    const label = `automation "${automation.name}"`;
    const resource = configuredActions([automation])[0]!.resource;
    const { trigger } = automation;
    if (resource !== 'deal' && (trigger.stage !== undefined || trigger.pipeline !== undefined)) {
      problems.push({ path: at('trigger'), message: `${label}: only deal triggers take a stage or pipeline` });
    }
    if (trigger.stage !== undefined) checkKeys(at('trigger', 'stage'), label, 'stage', [trigger.stage], trigger.pipeline);
    if (trigger.pipeline !== undefined) checkKeys(at('trigger', 'pipeline'), label, 'pipeline', [trigger.pipeline], undefined);
    automation.filters.forEach((filter, f) => {
      const path = at('filters', f);
      const values = filterValues(filter);
      const problem = filterProblem(resource, filter);
      if (problem) {
        problems.push({ path: [...path, problem.at], message: `${label}: ${problem.message}` });
        if (problem.at === 'field') return;
      }
      if (filter.field === 'owner') {
        values.forEach((v) => {
          if (!z.email().safeParse(v).success) {
            problems.push({
              path: [...path, 'value'],
              message: `${label}: users are named by e-mail, "${String(v)}" is not one`,
            });
          }
        });
      }
      if (filter.field === 'stage' || filter.field === 'pipeline') {
        checkKeys([...path, 'value'], label, filter.field, values, filter.field === 'stage' ? trigger.pipeline : undefined);
      }
    });
  });

  const actions = configuredActions(config.automations);
  const seen = new Map<string, string>();
  for (const action of actions) {
    const path = action.path.match(/\d+/g)!.map(Number);
    const at = ['automations', path[0]!, 'actions', path[1]!];
    const label = `action "${action.name}"`;
    const other = seen.get(action.name);
    if (other) problems.push({ path: [...at, 'name'], message: `${label}: the name is taken by ${other}` });
    seen.set(action.name, action.path);
  }
  const listed = JSON.stringify(automationSummaries(config.automations)).length;
  if (listed > AUTOMATION_SUMMARIES_MAX_CHARS) {
    problems.push({
      path: ['automations'],
      message: `the list of automated actions GET /automations shows takes ${listed} characters of its function's environment, more than ${AUTOMATION_SUMMARIES_MAX_CHARS} (Lambda allows 4 KB in all): use shorter names or fewer actions`,
    });
  }
  if (actions.length > config.max_automation_rules) {
    const first = actions[config.max_automation_rules]!;
    problems.push({
      path: ['automations'],
      message: `${actions.length} automated actions make ${actions.length} EventBridge rules, more than max_automation_rules (${config.max_automation_rules}); the first over is action "${first.name}" (${first.path})`,
    });
  }
  for (const rule of automationRules(config)) {
    const action = actions.find((a) => a.name === rule.action)!;
    const path = ['automations', ...action.path.match(/\d+/g)!.map(Number)];
    const at = [path[0]!, path[1]!, 'actions', path[2]!];
    const size = patternSize(rule.pattern);
    if (size > EVENT_PATTERN_MAX_CHARS) {
      problems.push({
        path: at,
        message: `action "${action.name}": its event pattern has ${size} characters, more than EventBridge's ${EVENT_PATTERN_MAX_CHARS}; move values from the filters into fewer, shorter ones`,
      });
    }
    for (const problem of inputTransformerProblems(rule.input)) {
      problems.push({ path: at, message: `action "${action.name}": ${problem}` });
    }
  }
  return problems;
}
