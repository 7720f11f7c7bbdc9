import type { ItemKeys, Key } from './table.ts';

// Hand-written key builders, one per record kind: the only place that knows how a record
// sits in the table and its indexes (see table-spec.ts for the role of each GSI).

export const userKey = (id: string): Key => ({ pk: `user#${id}`, sk: 'user' });
export const userEmailKey = (email: string): Key => ({ pk: `user_email#${email}`, sk: 'unique' });
export const userStatsKey: Key = { pk: 'stats#users', sk: 'stats' };
export const teamKey = (id: string): Key => ({ pk: `team#${id}`, sk: 'team' });
export const accountKey: Key = { pk: 'account', sk: 'account' };

export function userKeys(user: { id: string; reports_to: string | null; team_id: string | null }): ItemKeys {
  return {
    ...userKey(user.id),
    gsi2pk: 'user',
    gsi2sk: user.id,
    ...(user.reports_to ? { gsi3pk: `reports_to#${user.reports_to}`, gsi3sk: user.id } : {}),
    ...(user.team_id ? { gsi5pk: `team#${user.team_id}`, gsi5sk: user.id } : {}),
  };
}

export function teamKeys(team: { id: string }): ItemKeys {
  return { ...teamKey(team.id), gsi2pk: 'team', gsi2sk: team.id };
}

// --- sales: pipelines, stages, reasons and sources, custom fields, deals ---------------------

export const pipelineKey = (id: string): Key => ({ pk: `pipeline#${id}`, sk: 'pipeline' });
export const stageKey = (id: string): Key => ({ pk: `stage#${id}`, sk: 'stage' });

export function pipelineKeys(pipeline: { id: string }): ItemKeys {
  return { ...pipelineKey(pipeline.id), gsi2pk: 'pipeline', gsi2sk: pipeline.id };
}

/** Stages of a pipeline: one gsi3 partition, read whole (a pipeline has a handful). */
export function stageKeys(stage: { id: string; pipeline_id: string }): ItemKeys {
  return { ...stageKey(stage.id), gsi3pk: `pipeline_stages#${stage.pipeline_id}`, gsi3sk: stage.id };
}

/** Reasons and sources share one shape: a named entry in a list of its kind. */
export type NamedListKind = 'loss_reason' | 'deal_unqualified_reason' | 'lead_unqualified_reason' | 'source';
export const namedEntryKey = (kind: NamedListKind, id: string): Key => ({ pk: `${kind}#${id}`, sk: kind });
export function namedEntryKeys(kind: NamedListKind, entry: { id: string }): ItemKeys {
  return { ...namedEntryKey(kind, entry.id), gsi2pk: kind, gsi2sk: entry.id };
}

export type CustomFieldResource = 'lead' | 'contact' | 'deal';
export const customFieldKey = (id: string): Key => ({ pk: `custom_field#${id}`, sk: 'custom_field' });
export function customFieldKeys(field: { id: string; resource_type: CustomFieldResource }): ItemKeys {
  return { ...customFieldKey(field.id), gsi2pk: `custom_field#${field.resource_type}`, gsi2sk: field.id };
}
/** One name per resource type, case-insensitively. */
export const customFieldNameKey = (resource: CustomFieldResource, name: string): Key => ({
  pk: `custom_field_name#${resource}#${name.trim().toLowerCase()}`,
  sk: 'unique',
});

export const dealKey = (id: string): Key => ({ pk: `deal#${id}`, sk: 'deal' });

// --- pipelines module: a pipeline counter and name uniqueness ---------------------------------

/** How many pipelines exist: the last one is never deleted, and seeding reads it in one GetItem. */
export const pipelineStatsKey: Key = { pk: 'stats#pipelines', sk: 'stats' };
/** One pipeline per name, case-insensitively. */
export const pipelineNameKey = (name: string): Key => ({ pk: `pipeline_name#${name.trim().toLowerCase()}`, sk: 'unique' });
/** One entry per name in each list of reasons or sources, case-insensitively. */
export const namedEntryNameKey = (kind: NamedListKind, name: string): Key => ({
  pk: `${kind}_name#${name.trim().toLowerCase()}`,
  sk: 'unique',
});

// --- notes and tasks: the records they attach to, notes, tasks ---------------------------------

/** A lead, contact or deal: "<type>#<id>" / "<type>" (dealKey's shape, for any related record). */
export const recordKey = (type: 'lead' | 'contact' | 'deal', id: string): Key => ({ pk: `${type}#${id}`, sk: type });
export const noteKey = (id: string): Key => ({ pk: `note#${id}`, sk: 'note' });
export const taskKey = (id: string): Key => ({ pk: `task#${id}`, sk: 'task' });

// --- leads and contacts ------------------------------------------------------------------------

export const leadKey = (id: string): Key => ({ pk: `lead#${id}`, sk: 'lead' });
export const contactKey = (id: string): Key => ({ pk: `contact#${id}`, sk: 'contact' });
/** How many people belong to an organisation contact: an item beside it, moved by people's writes. */
export const organizationPeopleKey = (organizationId: string): Key => ({ pk: `contact#${organizationId}`, sk: 'people' });
