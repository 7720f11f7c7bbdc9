import { z } from 'zod/mini';
import { DomainError, ForbiddenError } from '#shared/kernel/errors.ts';
import type { Call, Clock } from '#shared/kernel/ports.ts';
import { createContactInput } from '#shared/contacts/domain.ts';
import { createLeadInput } from '#shared/leads/domain.ts';
import { createDealInput } from '#shared/deals/domain.ts';
import { createNoteInput } from '#shared/notes/domain.ts';
import { createTaskInput } from '#shared/tasks/domain.ts';
import { createCallInput, createTextMessageInput } from '#shared/calls/domain.ts';
import { createCustomFieldInput } from '#shared/custom-fields/domain.ts';
import {
  addressOf,
  customFieldValueOf,
  emptyStepReport,
  leadStatusOf,
  newCheckpoint,
  pick,
  SELL_IMPORT_STEPS,
  skipRecord,
  stageCategoryOf,
  type SellImportCheckpoint,
  type SellImportStep,
  type StepReport,
} from './domain.ts';
import type {
  ImportWrite,
  SellIdKind,
  SellIdMap,
  SellImportStore,
  SellImportTargets,
  SellNumbers,
  SellRecord,
  SellSource,
} from './ports.ts';

// The importer from Sell's API: each step reads its collection page by page, writes each
// record through its family's use case (with the record's Sell id, and events marked as an
// import's so that no automated action runs), and saves the checkpoint after the page. A run
// after a crash starts again at the checkpoint's page; records found by their Sell id are left
// as they are, so a page read twice, or a whole second run, writes nothing.

export interface SellImportDeps {
  source: SellSource;
  store: SellImportStore;
  ids: SellIdMap;
  targets: SellImportTargets;
  clock: Clock;
  newId: () => string;
  /** Tests only: called after each page's records are written, before its checkpoint (a throw stands for a crash there). */
  afterPage?: (pages: number) => void;
}

export interface SellImportOptions {
  /** The import's id (its checkpoint's key and its events' correlation id). */
  id: string;
  /** The admin the records are written as (creator; owner when Sell's owner has no user here). */
  actorId: string;
  /** Stop after this many pages in this run (a Lambda's share of the work); the next run resumes. */
  maxPages?: number;
  /** Asked before each page: true stops the run there (a worker slice's time budget); the next run resumes. */
  shouldStop?: () => boolean;
}

/** A record that cannot be imported, and why (goes to the report). */
class Skip extends Error {}

const SOURCE_TYPES = ['lead', 'contact', 'deal'] as const;

/**
 * Runs (or resumes) the import `options.id` until it is finished or `maxPages` pages were read;
 * answers the checkpoint with the report. Only admins may import. Errors that are not a
 * record's (Sell's API refusing the token, the table failing) throw: run again to resume.
 */
export async function runSellImport(deps: SellImportDeps, options: SellImportOptions): Promise<SellImportCheckpoint> {
  const principal = await deps.targets.principalOf(options.actorId);
  if (principal.role !== 'admin') {
    throw new ForbiddenError('Only admins may import from Zendesk Sell');
  }
  let checkpoint = (await deps.store.get(options.id)) ?? newCheckpoint(options.id, deps.clock.now().toISOString());
  const run = new ImportRun(deps, options, principal);
  let pagesThisRun = 0;
  const requestsBefore = deps.source.requests;
  const baseRequests = checkpoint.requests;
  while (checkpoint.status === 'running') {
    const step = SELL_IMPORT_STEPS[checkpoint.step];
    if (!step) {
      const now = deps.clock.now().toISOString();
      checkpoint = { ...checkpoint, status: 'finished', finished_at: now, updated_at: now };
      await deps.store.save(checkpoint);
      break;
    }
    const report = (checkpoint.report[step.name] ??= emptyStepReport());
    if (step.kind === 'skip' || !step.path) {
      report.note = step.skip;
      checkpoint = { ...checkpoint, step: checkpoint.step + 1, next: null };
      continue;
    }
    if (options.maxPages !== undefined && pagesThisRun >= options.maxPages) break;
    if (pagesThisRun > 0 && options.shouldStop?.()) break;
    const page = await deps.source.page(checkpoint.next ?? step.path);
    await run.page(step, page.items, checkpoint.report);
    pagesThisRun++;
    deps.afterPage?.(checkpoint.pages + 1);
    checkpoint = {
      ...checkpoint,
      pages: checkpoint.pages + 1,
      requests: baseRequests + deps.source.requests - requestsBefore,
      step: page.next ? checkpoint.step : checkpoint.step + 1,
      next: page.next,
      updated_at: deps.clock.now().toISOString(),
    };
    await deps.store.save(checkpoint);
  }
  return checkpoint;
}

/** One run's state: the call its writes make and caches of resolved Sell ids. */
class ImportRun {
  readonly #deps: SellImportDeps;
  readonly #options: SellImportOptions;
  readonly #principal: Call['principal'];
  readonly #resolved = new Map<string, string | undefined>();
  readonly #fieldTypes = new Map<string, Map<string, string>>();
  #allStages: SellRecord[] | undefined;

  constructor(deps: SellImportDeps, options: SellImportOptions, principal: Call['principal']) {
    this.#deps = deps;
    this.#options = options;
    this.#principal = principal;
  }

  #call(): Call {
    return {
      principal: this.#principal,
      events: {
        actor_id: this.#principal.user_id,
        correlation_id: this.#options.id,
        now: this.#deps.clock.now(),
        newId: this.#deps.newId,
        // Marks every event as an import's: automated actions skip them.
        origin: { type: 'import', id: this.#options.id, automations: false },
      },
    };
  }

  async page(step: SellImportStep, items: SellRecord[], reports: Record<string, StepReport>): Promise<void> {
    const report = reports[step.name]!;
    for (const record of items) {
      const sellId = typeof record.id === 'number' ? record.id : undefined;
      try {
        if (sellId === undefined) throw new Skip('the record has no numeric id');
        const outcome = await this.#record(step, record, sellId, reports);
        if (outcome !== 'counted') report[outcome]++;
      } catch (error) {
        if (error instanceof Skip || error instanceof DomainError) skipRecord(report, sellId ?? '?', error.message);
        else throw error;
      }
    }
    // New records here take numbers past every Sell id read.
    const kind = step.kind === 'named_list' ? (step.target as SellIdKind) : KIND_OF_STEP[step.kind];
    const max = Math.max(0, ...items.map((r) => (typeof r.id === 'number' ? r.id : 0)));
    if (kind && max > 0) await this.#deps.ids.advance(kind, max);
  }

  async #record(
    step: SellImportStep,
    record: SellRecord,
    sellId: number,
    reports: Record<string, StepReport>,
  ): Promise<'imported' | 'unchanged' | 'counted'> {
    switch (step.kind) {
      case 'users':
        return this.#user(record, sellId);
      case 'pipelines':
        return this.#pipeline(record, sellId, (reports.stages ??= emptyStepReport()));
      case 'named_list':
        return this.#namedEntry(step.target!, record, sellId);
      case 'custom_fields':
        return this.#customField(step.target!, record, sellId);
      case 'contacts':
        return this.#once('contact', sellId, async () => ({ kind: 'contact', input: await this.#contact(record) }));
      case 'leads':
        return this.#once('lead', sellId, async () => ({ kind: 'lead', input: await this.#lead(record) }));
      case 'deals':
        return this.#once('deal', sellId, async () => ({ kind: 'deal', input: await this.#deal(record) }));
      case 'associated_contacts':
        return this.#associations(sellId, reports[step.name]!);
      case 'notes':
        return this.#once('note', sellId, async () => ({ kind: 'note', input: await this.#note(record) }));
      case 'tasks':
        return this.#once('task', sellId, async () => ({ kind: 'task', input: await this.#task(record) }));
      case 'calls':
        return this.#once('call', sellId, async () => ({
          kind: 'call',
          input: await this.#callRecord(record),
          user_id: await this.#owner(record.user_id),
        }));
      case 'text_messages':
        return this.#once('text_message', sellId, async () => ({
          kind: 'text_message',
          input: await this.#textMessage(record),
          user_id: await this.#owner(record.user_id),
        }));
      case 'lead_conversions':
        return this.#conversion(record, sellId);
      default:
        throw new Skip(`nothing imports ${step.name}`);
    }
  }

  /** Creates the record unless its Sell id names one already (then: unchanged). */
  async #once(
    kind: SellIdKind,
    sellId: number,
    write: () => Promise<ImportWrite>,
    numbers: SellNumbers = { [kind]: sellId },
  ): Promise<'imported' | 'unchanged'> {
    if (await this.#deps.ids.idOf(kind, sellId)) return 'unchanged';
    await this.#deps.targets.create(this.#call(), await write(), numbers);
    return 'imported';
  }

  /** The record here a Sell reference names; undefined for none; a Skip when it was not imported. */
  async #ref(kind: SellIdKind, value: unknown, field: string): Promise<string | undefined> {
    if (value === null || value === undefined) return undefined;
    if (typeof value !== 'number') throw new Skip(`${field} is not a Sell id`);
    const key = `${kind}:${value}`;
    if (!this.#resolved.has(key)) this.#resolved.set(key, await this.#deps.ids.idOf(kind, value));
    const id = this.#resolved.get(key);
    if (!id) throw new Skip(`${field} names ${kind} ${value}, which was not imported`);
    return id;
  }

  /**
   * A Sell lead conversion: its lead marked converted into the contact (the person, else the
   * organisation) and deal Sell names, all imported before; the conversion keeps its Sell id.
   */
  async #conversion(record: SellRecord, sellId: number): Promise<'imported' | 'unchanged'> {
    if (await this.#deps.ids.idOf('lead_conversion', sellId)) return 'unchanged';
    const leadId = await this.#ref('lead', record.lead_id, 'lead_id');
    if (!leadId) throw new Skip('the conversion names no lead');
    const individual = await this.#ref('contact', record.individual_id, 'individual_id');
    const organization = await this.#ref('contact', record.organization_id, 'organization_id');
    const contactId = individual ?? organization;
    if (!contactId) throw new Skip('the conversion names no contact');
    const dealId = (await this.#ref('deal', record.deal_id, 'deal_id')) ?? null;
    await this.#deps.targets.convertLead(this.#call(), leadId, {
      contact_id: contactId,
      organization_id: organization ?? null,
      deal_id: dealId,
    });
    if (!(await this.#deps.ids.number('lead_conversion', sellId, leadId))) {
      throw new Skip(`Sell id ${sellId} is another conversion's number here`);
    }
    return 'imported';
  }

  /** Sell's owner as a user here; the importing admin when the Sell user has none. */
  async #owner(value: unknown): Promise<string> {
    if (typeof value !== 'number') return this.#principal.user_id;
    const key = `user:${value}`;
    if (!this.#resolved.has(key)) this.#resolved.set(key, await this.#deps.ids.idOf('user', value));
    return this.#resolved.get(key) ?? this.#principal.user_id;
  }

  async #customFields(resource: string, values: unknown): Promise<Record<string, unknown> | undefined> {
    if (typeof values !== 'object' || values === null || Object.keys(values).length === 0) return undefined;
    if (!this.#fieldTypes.has(resource)) this.#fieldTypes.set(resource, await this.#deps.targets.customFieldTypes(resource));
    const types = this.#fieldTypes.get(resource)!;
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(values)) {
      if (value === null || value === undefined || value === '') continue;
      if (!types.has(name)) throw new Skip(`the custom field "${name}" does not exist here`);
      out[name] = customFieldValueOf(types.get(name), value);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }

  async #user(record: SellRecord, sellId: number): Promise<'imported' | 'unchanged'> {
    const email = typeof record.email === 'string' ? record.email.trim().toLowerCase() : '';
    const local = email ? await this.#deps.targets.userIdByEmail(email) : undefined;
    if (!local) {
      throw new Skip(
        'no user here has this e-mail: invite them first (their records are owned by the importing admin meanwhile)',
      );
    }
    const existing = await this.#deps.ids.idOf('user', sellId);
    if (existing === local) return 'unchanged';
    if (existing !== undefined || !(await this.#deps.ids.alias('user', sellId, local, { shown: true }))) {
      throw new Skip(`Sell id ${sellId} is another user's number here`);
    }
    return 'imported';
  }

  async #pipeline(record: SellRecord, sellId: number, stages: StepReport): Promise<'imported' | 'unchanged'> {
    if (await this.#deps.ids.idOf('pipeline', sellId)) return 'unchanged';
    const sellStages = (await this.#stages()).filter((s) => s.pipeline_id === sellId);
    sellStages.sort((a, b) => Number(a.position ?? 0) - Number(b.position ?? 0));
    const numbers: Record<string, number> = { pipeline: sellId };
    const active: { name: string; likelihood: number }[] = [];
    let mapped = 0;
    for (const stage of sellStages) {
      const category = stageCategoryOf(stage);
      const name = String(stage.name ?? '').trim();
      if (typeof stage.id !== 'number' || !category || (category === 'active' && !name)) {
        skipRecord(
          stages,
          typeof stage.id === 'number' ? stage.id : '?',
          'the stage is neither open nor won, lost or unqualified',
        );
        continue;
      }
      const key = category === 'active' ? `stage:active:${name}` : `stage:${category}`;
      if (numbers[key] !== undefined) {
        skipRecord(stages, stage.id, `the pipeline has two ${category} stages named alike; the first one is kept`);
        continue;
      }
      numbers[key] = stage.id;
      mapped++;
      if (category === 'active') {
        const likelihood = Math.min(100, Math.max(0, Math.round(Number(stage.likelihood ?? 0)) || 0));
        active.push({ name, likelihood });
      }
    }
    if (active.length === 0) throw new Skip('the pipeline has no open stage');
    const name = String(record.name ?? '').trim();
    await this.#deps.targets.create(this.#call(), { kind: 'pipeline', input: { name, stages: active } }, numbers);
    stages.imported += mapped;
    return 'imported';
  }

  /**
   * Every Sell stage (one read a run), with the stage sequence moved past them first: a
   * pipeline here has an Unqualified stage that Sell's may lack, and it takes the next number.
   */
  async #stages(): Promise<SellRecord[]> {
    if (!this.#allStages) {
      const all: SellRecord[] = [];
      let url: string | null = '/v2/stages';
      while (url) {
        const page = await this.#deps.source.page(url);
        all.push(...page.items);
        url = page.next;
      }
      const max = Math.max(0, ...all.map((s) => (typeof s.id === 'number' ? s.id : 0)));
      if (max > 0) await this.#deps.ids.advance('stage', max);
      this.#allStages = all;
    }
    return this.#allStages;
  }

  async #namedEntry(list: string, record: SellRecord, sellId: number): Promise<'imported' | 'unchanged'> {
    const kind = list as SellIdKind;
    if (await this.#deps.ids.idOf(kind, sellId)) return 'unchanged';
    const name = String(record.name ?? '').trim();
    try {
      await this.#deps.targets.create(this.#call(), { kind: 'named_list', list, input: { name } }, { [kind]: sellId });
      return 'imported';
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // Sell's lead and deal sources are one list here: the second of a name names the first.
      const existing = name ? await this.#deps.targets.namedEntryId(list, name) : undefined;
      if (existing && (await this.#deps.ids.alias(kind, sellId, existing))) return 'imported';
      throw error;
    }
  }

  async #customField(resource: string, record: SellRecord, sellId: number): Promise<'imported' | 'unchanged'> {
    const choices = Array.isArray(record.choices)
      ? record.choices.map((c) => (typeof c === 'object' && c !== null && 'name' in c ? String(c.name) : String(c)))
      : undefined;
    const input = parse(createCustomFieldInput, {
      name: record.name,
      type: record.type,
      ...(choices && choices.length > 0 ? { choices } : {}),
    });
    this.#fieldTypes.delete(resource);
    return this.#once('custom_field', sellId, async () => ({ kind: 'custom_field', resource, input }));
  }

  async #details(record: SellRecord): Promise<Record<string, unknown>> {
    return {
      ...pick(record, ['title', 'description', 'email', 'phone', 'mobile', 'website', 'industry']),
      ...(addressOf(record.address) ? { address: addressOf(record.address) } : {}),
      ...(Array.isArray(record.tags) && record.tags.length > 0 ? { tags: record.tags } : {}),
    };
  }

  async #contact(record: SellRecord): Promise<Record<string, unknown>> {
    const organization = record.is_organization === true;
    const contactId = organization ? undefined : await this.#ref('contact', record.contact_id, 'contact_id');
    const sourceId = await this.#ref('source', record.source_id, 'source_id');
    const customFields = await this.#customFields('contact', record.custom_fields);
    return parse(createContactInput, {
      is_organization: organization,
      ...(organization ? pick(record, ['name']) : pick(record, ['first_name', 'last_name'])),
      ...(contactId ? { contact_id: contactId } : {}),
      ...(sourceId ? { source_id: sourceId } : {}),
      owner_id: await this.#owner(record.owner_id),
      ...(await this.#details(record)),
      ...(addressOf(record.billing_address) ? { billing_address: addressOf(record.billing_address) } : {}),
      ...(addressOf(record.shipping_address) ? { shipping_address: addressOf(record.shipping_address) } : {}),
      ...(customFields ? { custom_fields: customFields } : {}),
    });
  }

  async #lead(record: SellRecord): Promise<Record<string, unknown>> {
    const status = leadStatusOf(record.status);
    const sourceId = await this.#ref('source', record.source_id, 'source_id');
    const reasonId =
      status === 'unqualified'
        ? await this.#ref('lead_unqualified_reason', record.unqualified_reason_id, 'unqualified_reason_id')
        : undefined;
    const customFields = await this.#customFields('lead', record.custom_fields);
    return parse(createLeadInput, {
      ...pick(record, ['first_name', 'last_name', 'organization_name']),
      status,
      ...(reasonId ? { unqualified_reason_id: reasonId } : {}),
      ...(sourceId ? { source_id: sourceId } : {}),
      owner_id: await this.#owner(record.owner_id),
      ...(await this.#details(record)),
      ...(customFields ? { custom_fields: customFields } : {}),
    });
  }

  async #deal(record: SellRecord): Promise<Record<string, unknown>> {
    const stageId = await this.#ref('stage', record.stage_id, 'stage_id');
    if (!stageId) throw new Skip('the deal has no stage');
    const refs = {
      contact_id: await this.#ref('contact', record.contact_id, 'contact_id'),
      organization_id: await this.#ref('contact', record.organization_id, 'organization_id'),
      source_id: await this.#ref('source', record.source_id, 'source_id'),
      loss_reason_id: await this.#ref('loss_reason', record.loss_reason_id, 'loss_reason_id'),
      unqualified_reason_id: await this.#ref('deal_unqualified_reason', record.unqualified_reason_id, 'unqualified_reason_id'),
    };
    const customFields = await this.#customFields('deal', record.custom_fields);
    const addedAt = record.added_at ?? record.added_on;
    return parse(createDealInput, {
      ...pick(record, ['name', 'value', 'currency', 'hot', 'estimated_close_date', 'customized_win_likelihood']),
      ...Object.fromEntries(Object.entries(refs).filter(([, v]) => v !== undefined)),
      stage_id: stageId,
      owner_id: await this.#owner(record.owner_id),
      ...(Array.isArray(record.tags) && record.tags.length > 0 ? { tags: record.tags } : {}),
      ...(typeof addedAt === 'string' ? { added_at: addedAt } : {}),
      ...(customFields ? { custom_fields: customFields } : {}),
    });
  }

  async #target(record: SellRecord): Promise<{ resource_type: string; resource_id: string } | undefined> {
    const type = record.resource_type;
    if (type === null || type === undefined || type === 'none') return undefined;
    if (!SOURCE_TYPES.includes(type as (typeof SOURCE_TYPES)[number])) {
      throw new Skip(`it belongs to a ${String(type)}, which this product has not`);
    }
    const id = await this.#ref(type as SellIdKind, record.resource_id, 'resource_id');
    return id ? { resource_type: String(type), resource_id: id } : undefined;
  }

  async #note(record: SellRecord): Promise<Record<string, unknown>> {
    if (record.type === 'restricted') {
      throw new Skip('a restricted note (only its creator sees it in Sell): notes here are seen by all who see the record');
    }
    const target = await this.#target(record);
    if (!target) throw new Skip('the note belongs to no lead, contact or deal');
    return parse(createNoteInput, { content: record.content, ...target });
  }

  async #task(record: SellRecord): Promise<Record<string, unknown>> {
    const target = await this.#target(record);
    return parse(createTaskInput, {
      ...pick(record, ['content', 'due_date', 'remind_at']),
      completed: record.completed === true,
      owner_id: await this.#owner(record.owner_id),
      ...(target ?? {}),
    });
  }

  /** A call's or text's lead or contact (Sell's "none" or null: unmatched) and deals. */
  async #callLinks(record: SellRecord): Promise<Record<string, unknown>> {
    const type = record.resource_type;
    const linked = type !== null && type !== undefined && type !== 'none';
    if (linked && type !== 'lead' && type !== 'contact') throw new Skip(`it belongs to a ${String(type)}, not a lead or contact`);
    const id = linked ? await this.#ref(type, record.resource_id, 'resource_id') : undefined;
    const deals: string[] = [];
    for (const n of Array.isArray(record.associated_deal_ids) ? record.associated_deal_ids : []) {
      deals.push((await this.#ref('deal', n, 'associated_deal_ids'))!);
    }
    return {
      ...(id ? { resource_type: type, resource_id: id } : {}),
      ...(deals.length > 0 ? { associated_deal_ids: deals } : {}),
    };
  }

  async #callRecord(record: SellRecord): Promise<Record<string, unknown>> {
    const outcomeId = await this.#ref('call_outcome', record.outcome_id, 'outcome_id');
    const recording = typeof record.recording_url === 'string' && record.recording_url.startsWith('https://');
    return parse(createCallInput, {
      phone_number: record.phone_number === null || record.phone_number === undefined ? undefined : String(record.phone_number),
      incoming: record.incoming === true,
      missed: record.missed === true,
      ...(typeof record.duration === 'number' ? { duration: Math.max(0, Math.round(record.duration)) } : {}),
      ...pick(record, ['summary', 'made_at']),
      ...(recording ? { recording_url: record.recording_url } : {}),
      ...(outcomeId ? { outcome_id: outcomeId } : {}),
      ...(await this.#callLinks(record)),
    });
  }

  async #textMessage(record: SellRecord): Promise<Record<string, unknown>> {
    return parse(createTextMessageInput, {
      content: record.content,
      incoming: record.incoming === true,
      resource_phone_number:
        record.resource_phone_number === null || record.resource_phone_number === undefined
          ? undefined
          : String(record.resource_phone_number),
      ...pick(record, ['sent_at']),
      ...(await this.#callLinks(record)),
    });
  }

  /** A deal's associated contacts: each link counts in the report (the deal does not). */
  async #associations(dealSellId: number, report: StepReport): Promise<'counted'> {
    const dealId = await this.#deps.ids.idOf('deal', dealSellId);
    if (!dealId) throw new Skip('the deal was not imported');
    const call = this.#call();
    const existing = new Set(await this.#deps.targets.associatedContactIds(call, dealId));
    let url: string | null = `/v2/deals/${dealSellId}/associated_contacts`;
    while (url) {
      const page = await this.#deps.source.page(url);
      for (const link of page.items) {
        const label = `${dealSellId}/${String(link.contact_id)}`;
        try {
          const contactId = await this.#ref('contact', link.contact_id, 'contact_id');
          if (!contactId) throw new Skip('the link names no contact');
          if (existing.has(contactId)) {
            report.unchanged++;
            continue;
          }
          await this.#deps.targets.associate(call, dealId, contactId, typeof link.role === 'string' ? link.role : null);
          existing.add(contactId);
          report.imported++;
        } catch (error) {
          if (error instanceof Skip || error instanceof DomainError) skipRecord(report, label, error.message);
          else throw error;
        }
      }
      url = page.next;
    }
    return 'counted';
  }
}

/** The Sell id kind whose sequence a step's records advance. */
const KIND_OF_STEP: Partial<Record<SellImportStep['kind'], SellIdKind>> = {
  users: 'user',
  pipelines: 'pipeline',
  contacts: 'contact',
  leads: 'lead',
  deals: 'deal',
  notes: 'note',
  tasks: 'task',
  custom_fields: 'custom_field',
  calls: 'call',
  text_messages: 'text_message',
  lead_conversions: 'lead_conversion',
};

/** The input as the family's schema reads it; a Skip naming the first problem otherwise. */
function parse<T>(schema: z.ZodMiniType<T>, input: unknown): T & Record<string, unknown> {
  const result = z.safeParse(schema, input);
  if (result.success) return result.data as T & Record<string, unknown>;
  const issue = result.error.issues[0]!;
  throw new Skip(`${issue.path.join('.') || 'the record'} ${issue.message}`);
}
