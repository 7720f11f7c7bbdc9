import * as z from 'zod/mini';
import { ADMIN_ONLY, route } from '#shared/platform/http/contract.ts';
import { causedBySchema } from './domain.ts';
import { STREAM_RETENTION_DAYS, STREAM_SETTLE_SECONDS } from './use-cases.ts';

// The pull stream for integrations (X7, F-integrations): admins only, read-only.

const family = 'events';
const tags = ['events'];

const streamItemSchema = z.object({
  event_id: z.string(),
  event_type: z.string().check(z.describe('"<resource>.<change>"; docs/events/ holds the schema of each type and version')),
  event_version: z.int(),
  occurred_at: z.iso.datetime(),
  actor_id: z.string(),
  resource_type: z.string(),
  resource_id: z.string(),
  data: z.record(z.string(), z.unknown()),
  previous: z.nullable(z.record(z.string(), z.unknown())),
  caused_by: z.nullable(causedBySchema),
});

export const readEventStreamRoute = route({
  id: 'readEventStream',
  method: 'GET',
  path: '/events/stream',
  family,
  summary: `Read every domain event after a position, oldest first (admins; the last ${STREAM_RETENTION_DAYS} days)`,
  access: ADMIN_ONLY,
  query: z.strictObject({
    position: z.optional(
      z
        .string()
        .check(
          z.minLength(1),
          z.maxLength(200),
          z.describe(
            `The next_position of the page before; none starts at the oldest kept event. Following next_position gives every event exactly once, in (occurred_at, event_id) order; events show up ${STREAM_SETTLE_SECONDS} s after they occur, so one that committed late is never skipped.`,
          ),
        ),
    ),
    limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 100),
  }),
  response: z.object({
    items: z.array(streamItemSchema),
    next_position: z
      .string()
      .check(
        z.describe(
          'Where to continue; an empty or short page means nothing newer yet (poll again later with the same or this position)',
        ),
      ),
  }),
  status: 200,
  problems: { 410: `events.position_expired: the position is older than ${STREAM_RETENTION_DAYS} days; start again without one` },
  tags,
});

export const eventRoutes = [readEventStreamRoute] as const;
