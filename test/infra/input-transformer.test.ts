import { describe, expect, it } from 'vitest';
import { applyInputTransformer, inputTransformerProblems, readPath } from '#infra/local/eventbridge/input-transformer.ts';
import { LocalEventBus, type BusEvent } from '#infra/local/eventbridge/local-bus.ts';

// EventBridge input transformers as the local bus applies them (AWS's rules: a JSON template
// quotes a string placed outside quotes, escapes one placed inside, gives null for a missing
// path; a text template gives a string), and what synth refuses.

const event = {
  version: '0',
  id: '7bf73129',
  'detail-type': 'deal.created',
  source: 'crm',
  account: '000000000000',
  time: '2031-03-04T09:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:one', 'arn:two'],
  detail: { name: 'Say "hi"\n', count: 3, hot: false, tags: ['a'], nested: { x: null } },
};
const rule = { name: 'r1', arn: 'arn:aws:events:eu-west-1:000000000000:rule/crm/r1' };

describe('input transformer', () => {
  it('reads dot paths with array indices; a path that finds nothing is undefined', () => {
    expect(readPath(event, '$.detail.count')).toBe(3);
    expect(readPath(event, '$.resources[1]')).toBe('arn:two');
    expect(readPath(event, '$.detail.nested.x')).toBeNull();
    expect(readPath(event, '$.detail.nope.deeper')).toBeUndefined();
  });

  it('fills a JSON template: values outside quotes as JSON (strings quoted), inside quotes escaped', () => {
    const out = applyInputTransformer(
      {
        InputPathsMap: {
          name: '$.detail.name',
          count: '$.detail.count',
          hot: '$.detail.hot',
          tags: '$.detail.tags',
          gone: '$.detail.gone',
        },
        InputTemplate:
          '{"name": <name>, "text": "<name> x<count>", "n": <count>, "hot": <hot>, "tags": <tags>, "gone": <gone>, "rule": "<aws.events.rule-name>"}',
      },
      event,
      rule,
    );
    expect(out).toEqual({
      name: 'Say "hi"\n',
      text: 'Say "hi"\n x3',
      n: 3,
      hot: false,
      tags: ['a'],
      gone: null,
      rule: 'r1',
    });
  });

  it('gives the whole event or the event without detail through the predefined variables', () => {
    const out = applyInputTransformer(
      { InputTemplate: '{"all": <aws.events.event.json>, "envelope": <aws.events.event>}' },
      event,
      rule,
    ) as { all: unknown; envelope: Record<string, unknown> };
    expect(out.all).toEqual(event);
    expect(out.envelope.detail).toBeUndefined();
    expect(out.envelope.id).toBe('7bf73129');
  });

  it('fills a text template with the values as text', () => {
    expect(
      applyInputTransformer(
        { InputPathsMap: { name: '$.detail.name', count: '$.detail.count' }, InputTemplate: 'deal <name> has <count>' },
        event,
        rule,
      ),
    ).toBe('deal Say "hi"\n has 3');
  });

  it('refuses what EventBridge refuses: bad names and paths, unknown placeholders, placeholders as keys, bad JSON', () => {
    expect(inputTransformerProblems({ InputPathsMap: { e: '$.detail' }, InputTemplate: '{"event": <e>}' })).toEqual([]);
    expect(
      inputTransformerProblems({
        InputPathsMap: { 'a-b': '$.detail', awsX: '$.detail', c: 'detail[x]' },
        InputTemplate: '{<c>: 1, "d": <nope>',
      }),
    ).toEqual([
      'InputPathsMap: "a-b" is not letters and digits',
      'InputPathsMap: "awsX" must not start with "AWS"',
      'InputPathsMap.c: "detail[x]" is not a JSON path in dot notation',
      'InputTemplate: <nope> names no variable',
      expect.stringMatching(/^InputTemplate is not valid JSON once filled/),
      'InputTemplate: a placeholder cannot be an object key',
    ]);
  });

  it('is applied by the local bus before the target is called', async () => {
    const got: unknown[] = [];
    const bus = new LocalEventBus({
      rules: [
        {
          name: 'shaped',
          pattern: { source: ['crm'] },
          target: async (input: BusEvent) => void got.push(input),
          input: { InputPathsMap: { d: '$.detail' }, InputTemplate: '{"action": "a1", "event": <d>}' },
        },
        { name: 'plain', pattern: { source: ['crm'] }, target: async (input: BusEvent) => void got.push(input['detail-type']) },
      ],
      log: () => {},
    });
    bus.put([{ Source: 'crm', DetailType: 'deal.created', Detail: JSON.stringify({ id: 'D1' }) }]);
    await bus.idle();
    expect(got).toEqual(expect.arrayContaining([{ action: 'a1', event: { id: 'D1' } }, 'deal.created']));
    expect(got).toHaveLength(2);
  });
});
