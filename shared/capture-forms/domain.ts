import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import { idSchema, text } from '#shared/kernel/schema.ts';

// Lead capture forms (X2): an admin defines a form (its fields mapped to lead fields and
// custom fields, who owns the leads, their source, what the visitor sees after sending), and
// the public submits it without signing in. Spam is kept out without third parties: a signed,
// expiring form token issued by the embed (its issue time gives a minimum fill time), a
// honeypot field, per-address throttling; rejected submissions are counted, never stored.

/** Lead fields a form field may fill (the rest of a lead is the form's: owner, source, status new). */
export const LEAD_TARGET_FIELDS = [
  'first_name',
  'last_name',
  'organization_name',
  'title',
  'description',
  'email',
  'phone',
  'mobile',
  'website',
  'industry',
] as const;
export type LeadTargetField = (typeof LEAD_TARGET_FIELDS)[number];

export const FORM_FIELD_TYPES = ['text', 'email', 'tel', 'textarea'] as const;

/** The honeypot input every embed renders hidden: humans leave it empty, naive bots fill it. */
export const HONEYPOT_FIELD = 'fax_number_confirm';

/** Actor id of the events a form's submission writes: "capture_form:<form id>". */
export const CAPTURE_FORM_ACTOR_PREFIX = 'capture_form:';
export const formActorId = (formId: string): string => `${CAPTURE_FORM_ACTOR_PREFIX}${formId}`;
/** The form id of an actor id, or undefined for any other actor. */
export const formIdOfActor = (actorId: string): string | undefined =>
  actorId.startsWith(CAPTURE_FORM_ACTOR_PREFIX) ? actorId.slice(CAPTURE_FORM_ACTOR_PREFIX.length) : undefined;

/** A form token is good this long after the embed issued it (ms). */
export const FORM_TOKEN_TTL_MS = 2 * 60 * 60 * 1000;
/** Submissions one address may make to one form per window. */
export const THROTTLE_LIMIT = 10;
/** The throttle window (seconds); its counter item expires with it. */
export const THROTTLE_WINDOW_SECONDS = 600;

/** Why a submission was refused: counted per form and reason. */
export const REJECTION_REASONS = [
  'token_missing',
  'token_invalid',
  'token_expired',
  'too_fast',
  'honeypot',
  'throttled',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

const fieldName = z.string().check(z.regex(/^[a-z][a-z0-9_]{0,49}$/, 'must be lower snake case, at most 50 characters'));

export const formFieldSchema = z.object({
  /** The input's name in the submitted values. */
  name: fieldName,
  label: text(255),
  type: z.enum(FORM_FIELD_TYPES),
  required: z.boolean(),
  /** A lead field, or a lead custom field by its name. */
  maps_to: z.union([z.object({ lead_field: z.enum(LEAD_TARGET_FIELDS) }), z.object({ custom_field: text(255) })]),
});
export type FormField = z.output<typeof formFieldSchema>;

export const formOwnerSchema = z.union([
  z.object({ type: z.literal('user'), user_id: idSchema }),
  /** Round-robin over the team's active members, by an atomic counter per form. */
  z.object({ type: z.literal('team'), team_id: idSchema }),
]);
export type FormOwner = z.output<typeof formOwnerSchema>;

const httpsUrl = z.string().check(
  z.maxLength(2048),
  z.refine((value) => {
    try {
      return new URL(value).protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an https:// URL'),
);

export const thankYouSchema = z.union([
  z.object({ type: z.literal('message'), message: text(2000) }),
  z.object({ type: z.literal('redirect'), url: httpsUrl }),
]);
export type ThankYou = z.output<typeof thankYouSchema>;

const fieldsSchema = z.array(formFieldSchema).check(
  z.minLength(1, 'a form has at least one field'),
  z.maxLength(30),
  z.refine((fields) => new Set(fields.map((f) => f.name)).size === fields.length, 'field names must be unique'),
  z.refine((fields) => !fields.some((f) => f.name === HONEYPOT_FIELD), `${HONEYPOT_FIELD} is the honeypot's name`),
);

const formInputFields = {
  name: text(255),
  fields: fieldsSchema,
  owner: formOwnerSchema,
  source_id: z.nullable(idSchema),
  thank_you: thankYouSchema,
  /** Seconds between the token's issue (the embed loading) and the submission, at least. */
  min_fill_seconds: z.int().check(z.minimum(0), z.maximum(600)),
  active: z.boolean(),
};

export const createFormInput = z.strictObject({
  ...formInputFields,
  source_id: z.optional(formInputFields.source_id),
  min_fill_seconds: z.optional(formInputFields.min_fill_seconds),
  active: z.optional(formInputFields.active),
});
export type CreateFormInput = z.output<typeof createFormInput>;

export const updateFormInput = z.partial(z.strictObject(formInputFields));
export type UpdateFormInput = z.output<typeof updateFormInput>;

export const DEFAULT_MIN_FILL_SECONDS = 3;

/** A form as stored and as admins see it. */
export const captureFormSchema = z.object({
  id: z.string(),
  name: z.string(),
  fields: z.array(formFieldSchema),
  owner: formOwnerSchema,
  source_id: z.nullable(z.string()),
  thank_you: thankYouSchema,
  min_fill_seconds: z.int(),
  active: z.boolean(),
  creator_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.int(),
});
export type CaptureForm = z.output<typeof captureFormSchema>;

/** Submissions counted per form: leads made, and refusals per reason. */
export const formStatsSchema = z.object({
  accepted: z.int(),
  rejected: z.record(z.enum(REJECTION_REASONS), z.int()),
});
export type FormStats = z.output<typeof formStatsSchema>;

export const captureFormViewSchema = z.extend(captureFormSchema, { stats: formStatsSchema });
export type CaptureFormView = z.output<typeof captureFormViewSchema>;

/** What the public posts: the token the embed issued, the values by field name, and the honeypot. */
export const submissionInput = z.object({
  form_token: z.optional(z.string().check(z.maxLength(500))),
  values: z.optional(z.record(z.string(), z.string().check(z.maxLength(65_535)))),
  [HONEYPOT_FIELD]: z.optional(z.string().check(z.maxLength(1000))),
});
export type SubmissionInput = z.output<typeof submissionInput>;

/** What the visitor is told after a submission (a refused honeypot one gets the same). */
export const submissionReplySchema = z.object({
  message: z.nullable(z.string()),
  redirect_url: z.nullable(z.string()),
});
export type SubmissionReply = z.output<typeof submissionReplySchema>;

export const thankYouReply = (form: Pick<CaptureForm, 'thank_you'>): SubmissionReply =>
  form.thank_you.type === 'message'
    ? { message: form.thank_you.message, redirect_url: null }
    : { message: null, redirect_url: form.thank_you.url };

// --- form tokens --------------------------------------------------------------------------

/**
 * The key that signs form tokens, derived from a secret (the cursor key) under its own label,
 * so a cursor's signature can never pass for a form token's or the reverse.
 */
export const formTokenKey = (secret: string): Buffer => createHmac('sha256', secret).update('capture-form-token/v1').digest();

const sign = (key: Buffer, payload: string): string => createHmac('sha256', key).update(payload).digest('base64url');

/** A token for one form: "<form id>.<issued at, ms>.<nonce>.<HMAC-SHA256 base64url>". */
export function issueFormToken(key: Buffer, formId: string, now: Date): string {
  const payload = `${formId}.${now.getTime()}.${randomBytes(9).toString('base64url')}`;
  return `${payload}.${sign(key, payload)}`;
}

/**
 * Checks a token against the keys that may have signed it (current, previous), the form, the
 * time it was issued and the form's minimum fill time.
 * @returns undefined when it passes, else the reason to refuse
 */
export function checkFormToken(
  token: string | undefined,
  keys: readonly Buffer[],
  form: Pick<CaptureForm, 'id' | 'min_fill_seconds'>,
  now: Date,
): RejectionReason | undefined {
  if (!token) return 'token_missing';
  const parts = token.split('.');
  if (parts.length !== 4) return 'token_invalid';
  const [formId, issued, nonce, signature] = parts as [string, string, string, string];
  const given = Buffer.from(signature, 'base64url');
  const valid = keys.some((key) => {
    const expected = Buffer.from(sign(key, `${formId}.${issued}.${nonce}`), 'base64url');
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!valid || formId !== form.id || !/^\d{13}$/.test(issued)) return 'token_invalid';
  const age = now.getTime() - Number(issued);
  if (age > FORM_TOKEN_TTL_MS || age < -60_000) return 'token_expired';
  if (age < form.min_fill_seconds * 1000) return 'too_fast';
  return undefined;
}

/** The throttle window a time falls in (its start, epoch seconds). */
export const throttleWindow = (now: Date): number =>
  Math.floor(now.getTime() / 1000 / THROTTLE_WINDOW_SECONDS) * THROTTLE_WINDOW_SECONDS;

// --- from values to a lead ----------------------------------------------------------------

/** The lead input a submission's values make: mapped fields set, empty ones left out. */
export interface MappedLead {
  fields: Partial<Record<LeadTargetField, string>>;
  custom_fields: Record<string, string>;
  /** Required fields left empty, by field name. */
  missing: string[];
}

export function mapValues(form: Pick<CaptureForm, 'fields'>, values: Record<string, string>): MappedLead {
  const mapped: MappedLead = { fields: {}, custom_fields: {}, missing: [] };
  for (const field of form.fields) {
    const value = values[field.name]?.trim() ?? '';
    if (value === '') {
      if (field.required) mapped.missing.push(field.name);
      continue;
    }
    if ('lead_field' in field.maps_to) mapped.fields[field.maps_to.lead_field] = value;
    else mapped.custom_fields[field.maps_to.custom_field] = value;
  }
  return mapped;
}

/** The team member a round-robin turn gives the lead to: members by id, the turn counted from 1. */
export function roundRobinPick(memberIds: readonly string[], turn: number): string | undefined {
  if (memberIds.length === 0) return undefined;
  const sorted = [...memberIds].sort();
  return sorted[(((turn - 1) % sorted.length) + sorted.length) % sorted.length];
}
