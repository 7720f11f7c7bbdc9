// Every reference of the model (a stored record's field naming another record) and what deleting
// its target does to it: the single source of the README table "What deleting a record does to
// what points at it" (test/infra/references-table.test.ts ties the two, and ties this list to
// the `*_id` fields of the record schemas). The rule behind it: no read answers an id that its
// owner gets 404 for, and what Sell does is the guide.

/**
 * What deleting the target does to a reference:
 * - `cleared`: the referring record stays, the field becomes null (its `.updated` event);
 * - `cascade`: the referring record is deleted with the target (its `.deleted` event);
 * - `refused`: the delete answers 409 while such references exist (the answer says how many);
 * - `kept`: the reference stays: the target is never deleted (users are disabled) or is kept as a
 *   tombstone (pipelines, stages, reasons and sources read by id, with deleted_at; custom fields
 *   are hidden from reads).
 */
export type OnDelete = 'cleared' | 'cascade' | 'refused' | 'kept';

export interface ModelReference {
  /** `<record>.<field>`, e.g. `deal.contact_id`; `<record>.custom_fields` for custom field values. */
  reference: string;
  /** What it points at. */
  target: string;
  on_delete: OnDelete;
  /** How, in a sentence: where it is done, the event, the code of a refusal. */
  how: string;
}

/** Explained under the README table: overflow goes first, in transactions of its own, and a sweep follows. */
const SAME_WRITE = "in the delete's transaction";
const USER_KEPT = 'users are never deleted: a disabled user (POST /users/{id}/disable) still reads';

export const MODEL_REFERENCES: readonly ModelReference[] = [
  {
    reference: 'deal.contact_id',
    target: 'contact',
    on_delete: 'cleared',
    how: `the deal stays, unlinked; deal.updated, ${SAME_WRITE}`,
  },
  {
    reference: 'deal.organization_id',
    target: 'organisation contact',
    on_delete: 'cleared',
    how: `the deal stays, unlinked; deal.updated, ${SAME_WRITE}`,
  },
  {
    reference: 'deal_contact.contact_id',
    target: 'contact',
    on_delete: 'cascade',
    how: `the association goes; deal.contact_dissociated, ${SAME_WRITE}`,
  },
  {
    reference: 'deal_contact.deal_id',
    target: 'deal',
    on_delete: 'cascade',
    how: "the deal's associations go with it, in its transaction",
  },
  {
    reference: 'contact.contact_id',
    target: 'organisation contact',
    on_delete: 'cleared',
    how: `its people stay, without organisation; contact.updated, ${SAME_WRITE}`,
  },
  {
    reference: 'note.resource_id',
    target: 'lead, contact or deal',
    on_delete: 'cascade',
    how: `the record's notes go with it; note.deleted, ${SAME_WRITE}`,
  },
  {
    reference: 'task.resource_id',
    target: 'lead, contact or deal',
    on_delete: 'cascade',
    how: `the record's tasks go with it; task.deleted, ${SAME_WRITE}`,
  },
  {
    reference: 'appointment.resource_id',
    target: 'lead, contact or deal',
    on_delete: 'cleared',
    how: `the appointment stays in its participants' calendars, unlinked; appointment.updated, ${SAME_WRITE}`,
  },
  {
    reference: 'lead.converted_contact_id',
    target: 'contact',
    on_delete: 'cleared',
    how: `the converted lead stays as the record of its conversion; lead.updated, ${SAME_WRITE}`,
  },
  {
    reference: 'lead.converted_organization_id',
    target: 'organisation contact',
    on_delete: 'cleared',
    how: `as converted_contact_id; lead.updated, ${SAME_WRITE}`,
  },
  {
    reference: 'lead.converted_deal_id',
    target: 'deal',
    on_delete: 'cleared',
    how: `as converted_contact_id; lead.updated, ${SAME_WRITE}`,
  },
  {
    reference: 'stage_change.deal_id',
    target: 'deal',
    on_delete: 'cascade',
    how: "the deal's stage history goes with it, in its transaction as far as it fits, the rest right after",
  },
  {
    reference: 'deal.pipeline_id',
    target: 'pipeline',
    on_delete: 'refused',
    how: '409 pipeline.has_deals, with the number of deals: move or delete them first',
  },
  {
    reference: 'deal.stage_id',
    target: 'stage',
    on_delete: 'refused',
    how: '409 stage.has_deals, with the number of deals, unless move_deals_to=<stage> moves them (each a deal.stage_changed)',
  },
  {
    reference: 'stage.pipeline_id',
    target: 'pipeline',
    on_delete: 'cascade',
    how: "the pipeline's stages are deleted with it (kept as tombstones, as it is), in its transaction (refused while they hold deals)",
  },
  {
    reference: 'stage_change.stage_id',
    target: 'stage',
    on_delete: 'kept',
    how: "tombstone (refused while it holds deals): out of its pipeline's list and the board, never chosen again; a deal that left it keeps the stay in its history, whose stage_id still reads (deleted_at set)",
  },
  {
    reference: 'stage_change.pipeline_id',
    target: 'pipeline',
    on_delete: 'kept',
    how: 'tombstone, with its stages (refused while it holds deals): out of the lists, never chosen again, its name free; a deal that left it keeps the stay in its history, whose pipeline_id still reads (deleted_at set)',
  },
  {
    reference: 'user.team_id',
    target: 'team',
    on_delete: 'refused',
    how: '409 team.has_members, unless move_members_to=<team> moves them (each a user.updated)',
  },
  ...(['source_id', 'loss_reason_id', 'unqualified_reason_id'] as const).flatMap((field) =>
    (field === 'loss_reason_id'
      ? ['deal']
      : field === 'unqualified_reason_id'
        ? ['deal', 'lead']
        : ['deal', 'contact', 'lead']
    ).map((record): ModelReference => ({
      reference: `${record}.${field}`,
      target: field === 'source_id' ? 'source' : field === 'loss_reason_id' ? 'loss reason' : 'unqualified reason',
      on_delete: 'kept',
      how: 'the entry is kept as a tombstone: out of its list, never chosen again, its name free; records keep the id, which still reads (deleted_at set)',
    })),
  ),
  ...(['deal', 'contact', 'lead'] as const).map((record): ModelReference => ({
    reference: `${record}.custom_fields`,
    target: 'custom field',
    on_delete: 'kept',
    how: 'the definition is kept as a tombstone; reads hide its values, which stay stored',
  })),
  ...[
    'deal.owner_id',
    'deal.creator_id',
    'deal.last_stage_change_by_id',
    'stage_change.entered_by_id',
    'stage_change.left_by_id',
    'contact.owner_id',
    'contact.creator_id',
    'lead.owner_id',
    'lead.creator_id',
    'note.creator_id',
    'task.owner_id',
    'task.creator_id',
    'appointment.owner_id',
    'appointment.creator_id',
    'user.reports_to',
  ].map((reference): ModelReference => ({ reference, target: 'user', on_delete: 'kept', how: USER_KEPT })),
];
