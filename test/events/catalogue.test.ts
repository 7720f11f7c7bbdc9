import { readdirSync, readFileSync } from 'node:fs';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { EVENT_SPECS, eventProblems, eventSpecOf } from '#shared/events/domain.ts';
import {
  causedBy,
  causedContext,
  domainEvent,
  MAX_CAUSE_DEPTH,
  type DomainEvent,
  type EventContext,
} from '#shared/kernel/events.ts';
import { InvalidEventError, outboxRecordPublisher } from '#shared/platform/dynamodb/outbox-stream.ts';
import { OUTBOX_KIND } from '#shared/platform/dynamodb/table-spec.ts';
import { EVENT_SCHEMAS_DIR, renderEventSchemaFiles } from '#infra/docs/write-event-schemas.ts';
import { testId } from '#test/helpers/fakes.ts';
import { makeContact, makeLead } from '#test/contacts/fakes.ts';
import { makeDeal } from '#test/deals/fakes.ts';
import { makeTask } from '#test/tasks/fakes.ts';
import { makeUser } from '#test/helpers/fakes.ts';

// The event catalogue (shared/events/domain.ts): what it accepts and refuses, the outbox
// publisher refusing an invalid event, docs/events kept in step, and caused_by.

const ctx = (overrides: Partial<EventContext> = {}): EventContext => ({
  actor_id: 'U1',
  correlation_id: 'corr-1',
  now: new Date('2026-12-01T10:00:00.000Z'),
  newId: () => testId(Math.floor(Math.random() * 1e6), 'E'),
  ...overrides,
});
const resource = { resource_type: 'deal', resource_id: 'D1' };
const deal = makeDeal('D1', { id: 'S1', pipeline_id: 'P1' });

describe('the event catalogue', () => {
  it('accepts the records the families put in their events', () => {
    const samples: DomainEvent[] = [
      domainEvent(ctx(), 'deal.created', resource, deal),
      domainEvent(ctx(), 'deal.stage_changed', resource, deal, { previous: { stage_id: 'S0' } }),
      domainEvent(ctx(), 'deal.deleted', resource, { ...deal, associated_contact_ids: ['C1'] }),
      domainEvent(ctx(), 'deal.contact_dissociated', resource, { deal_id: 'D1', contact_id: 'C1', owner_id: 'U1' }),
      domainEvent(ctx(), 'contact.updated', { resource_type: 'contact', resource_id: 'C1' }, makeContact('C1')),
      domainEvent(ctx(), 'lead.created', { resource_type: 'lead', resource_id: 'L1' }, makeLead('L1')),
      domainEvent(ctx(), 'task.completed', { resource_type: 'task', resource_id: 'T1' }, makeTask('T1')),
      domainEvent(ctx(), 'user.role_changed', { resource_type: 'user', resource_id: 'U2' }, makeUser('U2')),
    ];
    for (const event of samples) expect(eventProblems(event), event.metadata.event_type).toEqual([]);
  });

  it('refuses an event with a missing or mistyped field, naming it', () => {
    const { name: _, ...nameless } = deal;
    expect(eventProblems(domainEvent(ctx(), 'deal.created', resource, nameless))).toEqual([
      expect.stringMatching(/^data\.name: /),
    ]);
    expect(eventProblems(domainEvent(ctx(), 'deal.created', resource, { ...deal, hot: 'yes' }))).toEqual([
      expect.stringMatching(/^data\.hot: /),
    ]);
    const badPrevious = domainEvent(ctx(), 'deal.updated', resource, deal, { previous: { value: 12 } as never });
    expect(eventProblems(badPrevious)).toEqual([expect.stringMatching(/^previous\.value: /)]);
    const badTime = domainEvent(ctx(), 'deal.created', resource, deal);
    badTime.metadata.occurred_at = 'yesterday';
    expect(eventProblems(badTime)).toEqual([expect.stringMatching(/^metadata\.occurred_at: /)]);
  });

  it('keeps fields a record gains (readers are tolerant), and refuses an unknown type or version', () => {
    expect(eventProblems(domainEvent(ctx(), 'deal.created', resource, { ...deal, won_at: null }))).toEqual([]);
    expect(eventProblems(domainEvent(ctx(), 'deal.exploded', resource, deal))).toEqual([
      'no schema for event type deal.exploded version 1',
    ]);
    expect(eventProblems(domainEvent(ctx(), 'deal.created', resource, deal, { event_version: 2 }))).toEqual([
      'no schema for event type deal.created version 2',
    ]);
  });

  it('checks caused_by when an automation sets it', () => {
    const trigger = domainEvent(ctx(), 'deal.created', resource, deal);
    const caused = domainEvent(
      causedContext(trigger, 'contact-status', new Date(), () => 'E2'),
      'contact.updated',
      {
        resource_type: 'contact',
        resource_id: 'C1',
      },
      makeContact('C1'),
    );
    expect(eventProblems(caused)).toEqual([]);
    caused.metadata.caused_by = { ...caused.metadata.caused_by!, depth: 0 };
    expect(eventProblems(caused)).toEqual([expect.stringMatching(/^metadata\.caused_by\.depth: /)]);
  });

  it('has a schema for every event type the code names literally', () => {
    const published = new Set<string>();
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? walk(`${dir}/${entry.name}`) : entry.name.endsWith('.ts') ? [`${dir}/${entry.name}`] : [],
      );
    for (const file of walk(new URL('../../shared', import.meta.url).pathname)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:domainEvent|stageEvent)\([^,]+,\s*'([a-z_]+\.[a-z_]+)'/g)) published.add(match[1]!);
    }
    expect(published.size).toBeGreaterThan(30);
    for (const type of published) expect(eventSpecOf(type, 1), type).toBeDefined();
  });

  it('declares each type and version once, with a description', () => {
    expect(new Set(EVENT_SPECS.map((s) => `${s.type}@${s.version}`)).size).toBe(EVENT_SPECS.length);
    for (const spec of EVENT_SPECS) expect(spec.description.length, spec.type).toBeGreaterThan(10);
    expect(eventSpecOf('deal.won', 1)).toBeUndefined();
  });
});

describe('docs/events', () => {
  it('holds exactly the fresh JSON Schemas of the catalogue (run `npm run docs:events`)', async () => {
    const fresh = await renderEventSchemaFiles();
    const committed = readdirSync(EVENT_SCHEMAS_DIR).filter((name) => name.endsWith('.json'));
    expect(committed.sort()).toEqual([...fresh.keys()].sort());
    for (const [name, text] of fresh) expect(readFileSync(`${EVENT_SCHEMAS_DIR}/${name}`, 'utf8'), name).toBe(text);
  });

  it('are JSON Schema draft 4 of the whole EventBridge event, detail being the envelope', async () => {
    const text = (await renderEventSchemaFiles()).get('crm@deal.created-v1.json')!;
    const schema = JSON.parse(text) as {
      $schema: string;
      properties: { 'detail-type': { enum: string[] }; detail: { properties: Record<string, unknown> } };
    };
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(schema.properties['detail-type'].enum).toEqual(['deal.created']);
    expect(Object.keys(schema.properties.detail.properties)).toEqual(['metadata', 'data', 'previous']);
    expect(text).not.toContain('"additionalProperties": false');
  });
});

describe('the outbox publisher', () => {
  const record = (event: DomainEvent): DynamoDBRecord => ({
    eventName: 'INSERT',
    dynamodb: { NewImage: { kind: { S: OUTBOX_KIND }, event: { S: JSON.stringify(event) } } },
  });

  it('puts a valid event on the bus and refuses an invalid one without putting it', async () => {
    const published: string[] = [];
    const publish = outboxRecordPublisher(
      {
        async publish(events) {
          published.push(...events.map((e) => e.metadata.event_id));
          return { failedEventIds: [] };
        },
      },
      eventProblems,
    );
    const good = domainEvent(ctx(), 'deal.created', resource, deal);
    const bad = domainEvent(ctx(), 'deal.created', resource, { ...deal, name: 42 });
    await publish(record(good));
    const refused = await publish(record(bad)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidEventError);
    expect((refused as InvalidEventError).problems).toEqual([expect.stringMatching(/^data\.name: /)]);
    expect(published).toEqual([good.metadata.event_id]);
  });
});

describe('caused_by', () => {
  it('is absent on a user’s event and one link deeper on each automation’s', () => {
    const root = domainEvent(ctx(), 'deal.created', resource, deal);
    expect(root.metadata).not.toHaveProperty('caused_by');
    const first = domainEvent(
      causedContext(root, 'contact-status', new Date(), () => 'E2'),
      'contact.updated',
      resource,
      {},
    );
    expect(first.metadata.caused_by).toEqual({
      event_id: root.metadata.event_id,
      root_event_id: root.metadata.event_id,
      automation: 'contact-status',
      depth: 1,
    });
    expect(first.metadata).toMatchObject({ actor_id: 'system', correlation_id: 'corr-1' });
    const second = causedBy(first, 'feed');
    expect(second).toEqual({ event_id: 'E2', root_event_id: root.metadata.event_id, automation: 'feed', depth: 2 });
  });

  it('stops a chain of automations at MAX_CAUSE_DEPTH', () => {
    let event = domainEvent(ctx(), 'deal.created', resource, deal);
    for (let depth = 1; depth < MAX_CAUSE_DEPTH; depth++) {
      event = domainEvent(
        causedContext(event, 'loop', new Date(), () => `E${depth}`),
        'deal.updated',
        resource,
        deal,
      );
    }
    expect(event.metadata.caused_by?.depth).toBe(MAX_CAUSE_DEPTH - 1);
    expect(() => causedContext(event, 'loop', new Date(), () => 'X')).toThrow(/refusing to write/);
  });
});
