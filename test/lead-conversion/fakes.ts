import { contactRefsOf } from '#shared/contacts/use-cases.ts';
import { dealReferences } from '#shared/deals/use-cases.ts';
import type { ConversionDeps, ConversionPlan, ConversionWriter, Followers } from '#shared/lead-conversion/use-cases.ts';
import { VersionMismatchError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import { copy, type InMemoryStore } from '#test/helpers/in-memory-store.ts';
import { catalogOf } from '#test/custom-fields/fakes.ts';
import {
  applyContactCreates,
  applyLeadReplace,
  InMemoryContactRepository,
  InMemoryLeadRepository,
} from '#test/contacts/fakes.ts';
import { applyDealCreate, dealsDeps } from '#test/deals/fakes.ts';
import { applyNoteMove, InMemoryNoteRepository } from '#test/notes/fakes.ts';
import { applyTaskMove, InMemoryTaskRepository } from '#test/tasks/fakes.ts';

// An in-memory fake of the conversion writer (shared/lead-conversion/use-cases.ts), on the
// shared store. Like the DynamoDB writer (shared/lead-conversion/dynamodb.ts), `convert` is ONE
// transaction: the new contacts (their references checked, an organisation created with them
// not), the deal (its contacts created in the same write not checked), the lead replaced only
// while it is as read (VersionMismatchError), and as many note and task moves as fit (`room`);
// a refused conversion leaves the store as it was. `moveRest` moves the others one by one,
// skipping those changed meanwhile.

export class InMemoryConversionWriter implements ConversionWriter {
  readonly store: InMemoryStore;
  /** The events of each conversion written. */
  readonly events: DomainEvent[] = [];
  /** What each moveRest call was asked to move, by id. */
  readonly laterMoves: { notes: string[]; tasks: string[] }[] = [];
  /**
   * How many note and task moves fit in the conversion's transaction: the DynamoDB writer has
   * what DynamoDB's 100 writes leave after the records and events.
   */
  room = Infinity;
  /** Runs before the conversion's checks: lets a test interleave a concurrent change. */
  beforeWrite: (() => void) | undefined;
  constructor(store: InMemoryStore) {
    this.store = store;
  }

  async convert(plan: ConversionPlan, events: DomainEvent[]): Promise<Followers> {
    const notes = [...plan.notes];
    const tasks = [...plan.tasks];
    this.beforeWrite?.();
    this.store.transact(() => {
      applyContactCreates(this.store, ...plan.contacts.map((contact) => ({ contact, refs: contactRefsOf(contact) })));
      if (plan.deal) {
        const created = new Set(plan.contacts.map((c) => c.id));
        const refs = dealReferences(plan.deal);
        const stayId = events.find((e) => e.metadata.event_type === 'deal.created')?.metadata.event_id ?? plan.deal.id;
        applyDealCreate(
          this.store,
          plan.deal,
          {
            ...refs,
            contact_id: refs.contact_id && created.has(refs.contact_id) ? null : refs.contact_id,
            organization_id: refs.organization_id && created.has(refs.organization_id) ? null : refs.organization_id,
          },
          stayId,
        );
      }
      applyLeadReplace(this.store, plan.before, plan.after);
      const at = plan.after.converted_at ?? undefined;
      // Notes first, then tasks, as long as there is room.
      for (let room = this.room; room > 0 && notes.length + tasks.length > 0; room--) {
        if (notes.length > 0) applyNoteMove(this.store, notes.shift()!, plan.to, at);
        else applyTaskMove(this.store, tasks.shift()!, plan.to, at);
      }
    });
    this.events.push(...copy(events));
    // Appointments have no in-memory fake: their moves are tested against DynamoDB Local
    // (test/appointments/appointments.int.test.ts); none are planned here.
    return { notes, tasks, appointments: [...plan.appointments] };
  }

  async moveRest(rest: Followers, to: RecordRef, at: string): Promise<void> {
    this.laterMoves.push({ notes: rest.notes.map((n) => n.id), tasks: rest.tasks.map((t) => t.id) });
    const moves = [
      ...rest.notes.map((n) => () => applyNoteMove(this.store, n, to, at)),
      ...rest.tasks.map((t) => () => applyTaskMove(this.store, t, to, at)),
    ];
    for (const move of moves) {
      try {
        this.store.transact(move);
      } catch (error) {
        if (!(error instanceof VersionMismatchError)) throw error;
      }
    }
  }
}

/** The conversion's ports on one store (deals as dealsDeps builds them). */
export function conversionDeps(store: InMemoryStore): ConversionDeps & {
  leads: InMemoryLeadRepository;
  contacts: InMemoryContactRepository;
  notes: InMemoryNoteRepository;
  tasks: InMemoryTaskRepository;
  writer: InMemoryConversionWriter;
} {
  return {
    leads: new InMemoryLeadRepository(store),
    contacts: new InMemoryContactRepository(store),
    deals: dealsDeps(store),
    customFields: catalogOf(store),
    notes: new InMemoryNoteRepository(store),
    tasks: new InMemoryTaskRepository(store),
    appointments: { appointmentsOf: async () => ({ items: [], truncated: false }) },
    // Documents move in their own writes after the conversion (tested in test/documents/).
    documents: { moveAll: async () => undefined },
    writer: new InMemoryConversionWriter(store),
  };
}
