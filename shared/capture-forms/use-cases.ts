import * as z from 'zod/mini';
import { domainEvent } from '#shared/kernel/events.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { Call, Clock, Page, PageQuery } from '#shared/kernel/ports.ts';
import { updateVersioned } from '#shared/kernel/versioned-update.ts';
import { createLeadInput } from '#shared/leads/domain.ts';
import { createLead, type LeadsDeps } from '#shared/leads/use-cases.ts';
import {
  captureFormSchema,
  checkFormToken,
  DEFAULT_MIN_FILL_SECONDS,
  formActorId,
  HONEYPOT_FIELD,
  issueFormToken,
  mapValues,
  roundRobinPick,
  THROTTLE_LIMIT,
  throttleWindow,
  thankYouReply,
  type CaptureForm,
  type CaptureFormView,
  type CreateFormInput,
  type FormOwner,
  type RejectionReason,
  type SubmissionInput,
  type SubmissionReply,
  type UpdateFormInput,
} from './domain.ts';
import type { CaptureFormRepository, FormTokenKeys, TeamMembers } from './ports.ts';

// Capture forms: admins define them (routes are admins only); the public gets a form's embed
// (with a fresh token) and submits it. A submission makes its lead through the leads use case,
// so every lead rule and event applies, with the form as the actor.

export interface CaptureFormsDeps {
  forms: CaptureFormRepository;
  tokenKeys: FormTokenKeys;
  members: TeamMembers;
  leads: LeadsDeps;
  clock: Clock;
  newId: () => string;
}

const resource = (form: Pick<CaptureForm, 'id'>) => ({ resource_type: 'capture_form', resource_id: form.id });

async function view(deps: CaptureFormsDeps, form: CaptureForm): Promise<CaptureFormView> {
  return { ...form, stats: await deps.forms.stats(form.id) };
}

async function loadForm(deps: CaptureFormsDeps, id: string): Promise<CaptureForm> {
  const form = await deps.forms.get(id);
  if (!form) throw new NotFoundError('capture form', id);
  return form;
}

async function checkOwner(deps: CaptureFormsDeps, owner: FormOwner): Promise<void> {
  if (owner.type === 'user' && !(await deps.members.isActiveUser(owner.user_id)))
    throw ValidationError.field('body.owner.user_id', `no active user ${owner.user_id}`, { fieldCode: 'unknown_reference' });
  if (owner.type === 'team' && !(await deps.members.teamExists(owner.team_id)))
    throw ValidationError.field('body.owner.team_id', `no team ${owner.team_id}`, { fieldCode: 'unknown_reference' });
}

async function checkCustomFields(deps: CaptureFormsDeps, form: Pick<CaptureForm, 'fields'>): Promise<void> {
  const names = form.fields.flatMap((f) => ('custom_field' in f.maps_to ? [f.maps_to.custom_field] : []));
  if (names.length === 0) return;
  const known = new Set((await deps.leads.customFields.definitions('lead', names)).map((d) => d.name));
  const index = form.fields.findIndex((f) => 'custom_field' in f.maps_to && !known.has(f.maps_to.custom_field));
  if (index >= 0)
    throw ValidationError.field(`body.fields.${index}.maps_to.custom_field`, 'no lead custom field has this name', {
      fieldCode: 'unknown_reference',
    });
}

/** Admins: a new form (inactive forms refuse submissions). */
export async function createForm(deps: CaptureFormsDeps, call: Call, input: CreateFormInput): Promise<CaptureFormView> {
  await checkOwner(deps, input.owner);
  await checkCustomFields(deps, input);
  const now = call.events.now.toISOString();
  const form: CaptureForm = {
    id: call.events.newId(),
    name: input.name,
    fields: input.fields,
    owner: input.owner,
    source_id: input.source_id ?? null,
    thank_you: input.thank_you,
    min_fill_seconds: input.min_fill_seconds ?? DEFAULT_MIN_FILL_SECONDS,
    active: input.active ?? true,
    creator_id: call.principal.user_id,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await deps.forms.create(form, [domainEvent(call.events, 'capture_form.created', resource(form), form)]);
  return view(deps, form);
}

export async function getForm(deps: CaptureFormsDeps, id: string): Promise<CaptureFormView> {
  return view(deps, await loadForm(deps, id));
}

export async function listForms(deps: CaptureFormsDeps, query: PageQuery): Promise<Page<CaptureFormView>> {
  const page = await deps.forms.list(query);
  const stats = await deps.forms.statsOf(page.items.map((f) => f.id));
  return { items: page.items.map((f) => ({ ...f, stats: stats.get(f.id)! })), next_cursor: page.next_cursor };
}

export async function updateForm(
  deps: CaptureFormsDeps,
  call: Call,
  id: string,
  patch: UpdateFormInput,
  ifMatch?: number,
): Promise<CaptureFormView> {
  return updateVersioned({
    resource: 'capture form',
    id,
    ifMatch,
    load: () => loadForm(deps, id),
    reload: () => deps.forms.get(id),
    present: (form) => view(deps, form),
    apply: async (before) => {
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const after = captureFormSchema.parse({ ...before, ...defined });
      if (patch.owner) await checkOwner(deps, after.owner);
      if (patch.fields) await checkCustomFields(deps, after);
      if (JSON.stringify(after) === JSON.stringify(before)) return view(deps, before);
      after.updated_at = call.events.now.toISOString();
      after.version = before.version + 1;
      await deps.forms.update(before, after, [domainEvent(call.events, 'capture_form.updated', resource(after), after)]);
      return view(deps, after);
    },
  });
}

export async function deleteForm(deps: CaptureFormsDeps, call: Call, id: string): Promise<void> {
  const form = await loadForm(deps, id);
  await deps.forms.delete(form, [domainEvent(call.events, 'capture_form.deleted', resource(form), form)]);
}

/** What the embed renders: the active form's public parts and a fresh token. */
export interface EmbeddedForm {
  form: Pick<CaptureForm, 'id' | 'name' | 'fields'>;
  token: string;
}

/** The public: an active form and a token for it (NotFoundError for an unknown or inactive one). */
export async function embedForm(deps: CaptureFormsDeps, id: string): Promise<EmbeddedForm> {
  const form = await deps.forms.get(id);
  if (!form?.active) throw new NotFoundError('capture form', id);
  const { current } = await deps.tokenKeys.keys();
  return {
    form: { id: form.id, name: form.name, fields: form.fields },
    token: issueFormToken(current, form.id, deps.clock.now()),
  };
}

/** The submission was refused as spam (or throttled): counted, never stored. */
export class SubmissionRejectedError extends ForbiddenError {
  readonly reason: RejectionReason;
  constructor(reason: RejectionReason) {
    super(`The submission was refused (${reason})`, { code: 'capture_form.submission_rejected' });
    this.reason = reason;
  }
}

/**
 * The public submits a form: throttled per address, then checked (honeypot, token, fill time),
 * then the lead is created by the form as actor, owned per the form. A honeypot hit answers
 * as a success would (the bot learns nothing) but stores nothing; other refusals throw
 * SubmissionRejectedError. Each refusal is counted once, under its reason.
 * @param address the submitter's source IP
 * @throws NotFoundError for an unknown or inactive form; ValidationError for missing or invalid values
 */
export async function submitForm(
  deps: CaptureFormsDeps,
  id: string,
  input: SubmissionInput,
  address: string,
  correlationId: string,
): Promise<SubmissionReply> {
  const form = await deps.forms.get(id);
  if (!form?.active) throw new NotFoundError('capture form', id);
  const now = deps.clock.now();
  const reject = async (reason: RejectionReason) => {
    await deps.forms.countRejected(form.id, reason);
    return reason;
  };
  if ((await deps.forms.countAddress(form.id, address, throttleWindow(now))) > THROTTLE_LIMIT)
    throw new SubmissionRejectedError(await reject('throttled'));
  if ((input[HONEYPOT_FIELD] ?? '') !== '') {
    await reject('honeypot');
    return thankYouReply(form);
  }
  const { all } = await deps.tokenKeys.keys();
  const refused = checkFormToken(input.form_token, all, form, now);
  if (refused) throw new SubmissionRejectedError(await reject(refused));

  const mapped = mapValues(form, input.values ?? {});
  if (mapped.missing.length > 0)
    throw new ValidationError(
      mapped.missing.map((name) => ({ field: `body.values.${name}`, message: 'is required', code: 'required' })),
    );
  const parsed = z.safeParse(createLeadInput, {
    ...mapped.fields,
    ...(Object.keys(mapped.custom_fields).length > 0 ? { custom_fields: mapped.custom_fields } : {}),
    ...(form.source_id ? { source_id: form.source_id } : {}),
  });
  if (!parsed.success) {
    const byTarget = (key: PropertyKey | undefined) =>
      form.fields.find((f) => 'lead_field' in f.maps_to && f.maps_to.lead_field === key)?.name ?? String(key);
    throw new ValidationError(
      parsed.error.issues.map((issue) => ({ field: `body.values.${byTarget(issue.path[0])}`, message: issue.message })),
    );
  }
  const owner_id = await ownerOf(deps, form);
  const call = formCall(form, correlationId, now, deps.newId);
  await createLead(deps.leads, call, { ...parsed.data, owner_id });
  await deps.forms.countAccepted(form.id);
  return thankYouReply(form);
}

/** The lead's owner: the form's user, or the team member whose round-robin turn it is. */
async function ownerOf(deps: CaptureFormsDeps, form: CaptureForm): Promise<string> {
  if (form.owner.type === 'user') return form.owner.user_id;
  const members = await deps.members.activeMemberIds(form.owner.team_id);
  const picked = roundRobinPick(members, members.length > 0 ? await deps.forms.nextTurn(form.id) : 0);
  // A team with no active member: the form's creator (an admin) takes the lead.
  return picked ?? form.creator_id;
}

/**
 * The call a form's submission runs as: the form is the actor (events and creator_id say
 * "capture_form:<id>"), with an admin's reach so it may give the lead to anyone.
 */
function formCall(form: CaptureForm, correlationId: string, now: Date, newId: () => string): Call {
  const principal: Principal = { user_id: formActorId(form.id), email: '', role: 'admin', direct_reports: [] };
  return { principal, events: { actor_id: principal.user_id, correlation_id: correlationId, now, newId } };
}
