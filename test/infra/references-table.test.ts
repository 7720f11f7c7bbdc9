import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/build/bundle.ts';
import { contactSchema } from '#shared/contacts/domain.ts';
import { customFieldSchema } from '#shared/custom-fields/domain.ts';
import { associatedContactSchema, dealSchema, stageChangeSchema } from '#shared/deals/domain.ts';
import { teamSchema, userSchema } from '#shared/identity/domain.ts';
import { MODEL_REFERENCES } from '#shared/kernel/references.ts';
import { leadSchema } from '#shared/leads/domain.ts';
import { noteSchema } from '#shared/notes/domain.ts';
import { pipelineSchema, stageSchema } from '#shared/pipelines/domain.ts';
import { namedEntrySchema } from '#shared/pipelines/reasons.ts';
import { taskViewSchema } from '#shared/tasks/domain.ts';
import { appointmentSchema } from '#shared/appointments/domain.ts';

// The README's table "What deleting a record does to what points at it" is MODEL_REFERENCES
// (shared/kernel/references.ts), row for row, and that list names every field of a stored
// record that points at another record: a new `*_id` field fails here until its delete
// behaviour is decided and documented.

const HEADING = '## What deleting a record does to what points at it';
const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The stored records by the name the list uses, with their schemas. */
const RECORDS = {
  deal: dealSchema,
  stage_change: stageChangeSchema,
  deal_contact: associatedContactSchema,
  contact: contactSchema,
  lead: leadSchema,
  note: noteSchema,
  task: taskViewSchema,
  appointment: appointmentSchema,
  pipeline: pipelineSchema,
  stage: stageSchema,
  user: userSchema,
  team: teamSchema,
  custom_field: customFieldSchema,
  named_entry: namedEntrySchema,
} as const;

/** A field that names another record: `*_id` (not the record's own id), reports_to, custom field values. */
const isReference = (field: string) => field.endsWith('_id') || field === 'reports_to' || field === 'custom_fields';

const rowOf = (r: (typeof MODEL_REFERENCES)[number]) => [`\`${r.reference}\``, r.target, r.on_delete, r.how];

function tableRows(): string[][] {
  const start = readme.indexOf(HEADING);
  expect(start, `README has no section "${HEADING}"`).toBeGreaterThanOrEqual(0);
  const lines = readme.slice(start).split('\n').slice(1);
  const first = lines.findIndex((l) => l.startsWith('|'));
  const table = lines.slice(
    first,
    lines.findIndex((l, i) => i > first && !l.startsWith('|')),
  );
  return table.slice(2).map((row) =>
    row
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim()),
  );
}

describe('the references table', () => {
  it('is MODEL_REFERENCES, row for row', () => {
    expect(tableRows()).toEqual(MODEL_REFERENCES.map(rowOf));
  });

  it('lists every reference field of every stored record, once, and only real fields', () => {
    const fields = Object.entries(RECORDS).flatMap(([record, schema]) =>
      Object.keys(schema.shape)
        .filter(isReference)
        .map((field) => `${record}.${field}`),
    );
    const listed = MODEL_REFERENCES.map((r) => r.reference);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...fields].sort());
  });
});
