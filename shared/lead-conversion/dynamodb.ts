import { allocateSellIds, sellIdOps, sellIdWriteCount } from '#shared/platform/dynamodb/sell-ids.ts';
import type { ConversionPlan, ConversionWriter, Followers } from './use-cases.ts';
import { appointmentMoveOps } from '#shared/appointments/dynamodb.ts';
import { contactRefsOf } from '#shared/contacts/use-cases.ts';
import { dealReferences } from '#shared/deals/use-cases.ts';
import { VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import { contactCreateOps } from '#shared/contacts/dynamodb.ts';
import { dealCreateOps } from '#shared/deals/dynamodb.ts';
import { leadConvertOps } from '#shared/leads/dynamodb.ts';
import { noteMoveOps } from '#shared/notes/dynamodb.ts';
import { withoutDuplicateChecks } from '#shared/platform/dynamodb/reference-checks.ts';
import type { Table, WriteOp } from '#shared/platform/dynamodb/table.ts';
import { taskMoveOps } from '#shared/tasks/dynamodb.ts';

// Lead conversion on the single table: the contacts, the deal and the converted lead in one
// TransactWriteItems (DynamoDB's limit: 100 writes), with the notes and tasks that still fit.

const TRANSACTION_LIMIT = 100;
const MOVE_CHUNK = 50;

export class DynamoConversionWriter implements ConversionWriter {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async convert(plan: ConversionPlan, events: DomainEvent[]): Promise<Followers> {
    const core = withoutDuplicateChecks([
      ...(plan.contacts.length > 0
        ? contactCreateOps(
            ...plan.contacts.map((contact) => ({ contact, refs: { ...contactRefsOf(contact), scope: plan.scope } })),
          )
        : []),
      ...(plan.deal
        ? dealCreateOps(
            plan.deal,
            this.#dealRefs(plan),
            events.find((e) => e.metadata.event_type === 'deal.created')?.metadata.event_id ?? plan.deal.id,
          )
        : []),
      ...leadConvertOps(plan.before, plan.after),
      // The conversion's own Sell id, from the sequence every conversion shares (an import keeps
      // it past Sell's numbers): "sell#lead_conversion#<n>" names the lead and
      // "sell_of#lead_conversion#<lead id>" holds n, each one read away. A failed write leaves a gap.
      ...(plan.sellNumbered
        ? sellIdOps('lead_conversion', await allocateSellIds(this.#table, 'lead_conversion', 1), plan.after.id)
        : []),
    ]);
    // The records it creates take their Sell id items in the same write.
    const room = Math.max(0, TRANSACTION_LIMIT - core.length - sellIdWriteCount(core) - events.length);
    const moves: WriteOp[] = [];
    const notes = [...plan.notes];
    const tasks = [...plan.tasks];
    const appointments = [...plan.appointments];
    const at = plan.after.converted_at ?? undefined;
    while (moves.length < room && notes.length > 0) moves.push(...noteMoveOps(notes.shift()!, plan.to, at));
    while (moves.length < room && tasks.length > 0) moves.push(...taskMoveOps(tasks.shift()!, plan.to, at));
    // An appointment moves with its calendar entries: several writes, all or none of them here.
    while (appointments.length > 0) {
      const ops = appointmentMoveOps(appointments[0]!, plan.to, at);
      if (moves.length + ops.length > room) break;
      moves.push(...ops);
      appointments.shift();
    }
    await this.#table.write([...core, ...moves], events);
    return { notes, tasks, appointments };
  }

  /** The deal's contacts made by this same write are not checked: they are created in it. */
  #dealRefs(plan: ConversionPlan) {
    const refs = dealReferences(plan.deal!);
    const created = new Set(plan.contacts.map((c) => c.id));
    return {
      ...refs,
      scope: plan.scope,
      contact_id: refs.contact_id && created.has(refs.contact_id) ? null : refs.contact_id,
      organization_id: refs.organization_id && created.has(refs.organization_id) ? null : refs.organization_id,
    };
  }

  async moveRest(rest: Followers, to: RecordRef, at: string): Promise<void> {
    const ops = [...rest.notes.flatMap((n) => noteMoveOps(n, to, at)), ...rest.tasks.flatMap((t) => taskMoveOps(t, to, at))];
    for (let i = 0; i < ops.length; i += MOVE_CHUNK) {
      const chunk = ops.slice(i, i + MOVE_CHUNK);
      try {
        await this.#table.write(chunk);
      } catch (error) {
        if (!(error instanceof VersionMismatchError)) throw error;
        // One of them changed meanwhile: move the others one by one.
        for (const op of chunk) await this.#table.write([op]).catch(skipChanged);
      }
    }
    // An appointment moves with its calendar entries, in one write; changed meanwhile: skipped.
    for (const appointment of rest.appointments)
      await this.#table.write(appointmentMoveOps(appointment, to, at)).catch(skipChanged);
  }
}

const skipChanged = (error: unknown) => {
  if (!(error instanceof VersionMismatchError)) throw error;
};
