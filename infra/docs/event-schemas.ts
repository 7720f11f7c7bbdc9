import * as z from 'zod/mini';
import { EVENT_SOURCE } from '#shared/kernel/events.ts';
import { EVENT_SPECS, envelopeSchemaOf, type EventSpec } from '#shared/events/domain.ts';

// The event catalogue (shared/events/domain.ts) as JSON Schema draft 4, the dialect the
// EventBridge schema registry takes (type JSONSchemaDraft4): each schema describes the whole
// EventBridge event, whose `detail` is the domain event envelope. docs/events/ holds one file
// per type and version (`npm run docs:events`); the stateless stack publishes the same schemas.

/** The schema's name in the registry and its file name in docs/events/ (without ".json"). */
export const eventSchemaName = (spec: Pick<EventSpec, 'type' | 'version'>): string =>
  `${EVENT_SOURCE}@${spec.type}-v${spec.version}`;

/** The JSON Schema (draft 4) of the EventBridge event carrying one event type and version. */
export function eventBridgeJsonSchema(spec: EventSpec): Record<string, unknown> {
  // io "input": objects keep unknown fields (additionalProperties is not false), as readers
  // of a growing event must tolerate; z.custom parts (custom field values) become "any".
  const detail = z.toJSONSchema(envelopeSchemaOf(spec), { target: 'draft-04', io: 'input', unrepresentable: 'any' });
  delete detail.$schema;
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title: eventSchemaName(spec),
    description: spec.description,
    type: 'object',
    properties: {
      version: { type: 'string' },
      id: { type: 'string' },
      'detail-type': { type: 'string', enum: [spec.type] },
      source: { type: 'string', enum: [EVENT_SOURCE] },
      account: { type: 'string' },
      time: { type: 'string', format: 'date-time' },
      region: { type: 'string' },
      resources: { type: 'array', items: { type: 'string' } },
      'replay-name': { type: 'string', description: 'Set on events an archive replay sends again.' },
      detail,
    },
    required: ['detail-type', 'source', 'detail'],
  };
}

/** Every schema of the catalogue, by name. */
export function eventBridgeJsonSchemas(): Map<string, Record<string, unknown>> {
  return new Map(EVENT_SPECS.map((spec) => [eventSchemaName(spec), eventBridgeJsonSchema(spec)]));
}
