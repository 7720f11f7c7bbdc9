import * as z from 'zod';
import { STAGE_CATEGORIES, CLOSED_CATEGORIES } from '#shared/pipelines/defaults.ts';
import { CLOSED_STAGE_LIKELIHOOD, MAX_ACTIVE_STAGES } from '#shared/pipelines/domain.ts';
import { REMINDER_PRESET_NAMES } from '#shared/tasks/reminders.ts';
import { automationSchema } from '#shared/automations/domain.ts';
import { NOTIFICATION_CHANNELS, NOTIFICATION_KINDS } from '#shared/notifications/domain.ts';
import { stageKeys } from '#shared/pipelines/domain.ts';
import { automationProblems } from '../automations.ts';
import { CONNECT_INSTANCE_ARN } from '#shared/calls/domain.ts';
import { SELL_BASE_URL } from '#shared/sell-import/domain.ts';

// The deployment's config: one file, validated here at `cdk synth` and at `npm start`, and
// exported as JSON Schema (infra/config/crm.config.schema.json) for editors.

/** Sell's API base URL: https anywhere, plain http only on loopback (a stand-in in the local cloud and tests). */
export function sellBaseUrlAllowed(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'https:' || (protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(hostname));
}

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const keySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and dashes, at most 64')
  .describe('Immutable: automations name it; default: from the name ("Quote" → "quote")');

/** One OAuth2 provider of connected mailboxes (config `mailbox_oauth.<name>`; shared/mailboxes/oauth.ts). */
export const mailboxOAuthProviderSchema = z.strictObject({
  client_id: z.string().min(1).max(500).describe("The CRM's OAuth client (a web application client) at the provider"),
  client_secret_name: z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'a Secrets Manager secret name')
    .describe(
      "The Secrets Manager secret (name, in the deployment's account and region) whose SecretString is the client's secret; create it before deploying. Only the functions that call the token endpoint may read it",
    ),
  authorization_endpoint: z.url({ protocol: /^https$/ }).describe('e.g. https://accounts.google.com/o/oauth2/v2/auth'),
  token_endpoint: z.url({ protocol: /^https$/ }).describe('e.g. https://oauth2.googleapis.com/token'),
  scope: z
    .string()
    .min(1)
    .max(1000)
    .describe(
      'Space-separated; IMAP access and `openid email` (Google: "https://mail.google.com/ openid email"; Microsoft: "https://outlook.office.com/IMAP.AccessAsUser.All offline_access openid email")',
    ),
  authorization_params: z
    .record(z.string().regex(/^[a-z_]{1,40}$/), z.string().max(200))
    .default({})
    .describe('Extra authorization URL parameters (Google: {"access_type": "offline", "prompt": "consent"} for a refresh token)'),
  imap_host: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$/, 'a host name')
    .describe('e.g. imap.gmail.com, outlook.office365.com'),
  imap_port: z.number().int().min(1).max(65535).default(993),
  imap_tls: z.boolean().default(true).describe('Implicit TLS; false requires STARTTLS'),
});

export const stageConfigSchema = z.strictObject({
  key: keySchema.optional(),
  name: z.string().trim().min(1).max(100),
  category: z.enum(STAGE_CATEGORIES),
  likelihood: z.number().int().min(0).max(100).describe('Default win likelihood, percent'),
});

export const pipelineConfigSchema = z
  .strictObject({
    key: keySchema.optional(),
    name: z.string().trim().min(1).max(100),
    stages: z.array(stageConfigSchema).min(4),
  })
  .superRefine((pipeline, ctx) => {
    for (const category of CLOSED_CATEGORIES) {
      const count = pipeline.stages.filter((s) => s.category === category).length;
      if (count !== 1) {
        ctx.addIssue({ code: 'custom', path: ['stages'], message: `needs exactly one "${category}" stage, has ${count}` });
      }
    }
    const firstClosed = pipeline.stages.findIndex((s) => s.category !== 'active');
    if (firstClosed === 0) ctx.addIssue({ code: 'custom', path: ['stages'], message: 'needs at least one active stage' });
    pipeline.stages.slice(firstClosed).forEach((s, i) => {
      if (s.category === 'active') {
        ctx.addIssue({ code: 'custom', path: ['stages', firstClosed + i], message: 'active stages come before the closed ones' });
      }
    });
    // Checked here too, so that a bad pipeline fails at synth rather than at the deploy's bootstrap.
    pipeline.stages.forEach((s, i) => {
      if (s.category !== 'active' && s.likelihood !== CLOSED_STAGE_LIKELIHOOD[s.category]) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'likelihood'],
          message: `a ${s.category} stage has likelihood ${CLOSED_STAGE_LIKELIHOOD[s.category]}`,
        });
      }
    });
    const keys = stageKeys(pipeline.stages);
    keys.forEach((key, i) => {
      if (keys.indexOf(key) !== i) ctx.addIssue({ code: 'custom', path: ['stages', i, 'key'], message: `key "${key}" is taken` });
    });
    const active = pipeline.stages.filter((s) => s.category === 'active').length;
    if (active > MAX_ACTIVE_STAGES) {
      ctx.addIssue({ code: 'custom', path: ['stages'], message: `at most ${MAX_ACTIVE_STAGES} active stages, has ${active}` });
    }
  });

export const crmConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    stage: z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, 'lowercase letters, digits and dashes, at most 16'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as "eu-west-1"'),
    account: z.strictObject({
      company_name: z.string().trim().min(1).max(200),
      currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "EUR"'),
      time_zone: z
        .string()
        .refine(isTimeZone, 'an IANA time zone such as "Europe/Paris"')
        .default('UTC')
        .describe("The account's time zone, each user's until they choose their own (mail dates, due days, dashboard days)"),
      time_format: z.enum(['12h', '24h']),
      logo_url: z.url({ protocol: /^https$/ }).optional(),
    }),
    /** The app users open: Cognito's invitation links to it. */
    app_url: z
      .url({ protocol: /^https?$/ })
      .describe("The CRM app's URL, which the invitation e-mail links to (e.g. https://crm.example.com)"),
    email: z
      .strictObject({
        sender_address: z
          .email()
          .describe('Sends every e-mail (Cognito invitations, reminders); verified in SES (README "Deploying for real")'),
        sender_name: z.string().min(1).max(100).optional(),
        domain: z
          .string()
          .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a lowercase domain such as "example.com"')
          .optional()
          .describe(
            "The sender's domain: when set, the stack creates its SES domain identity with Easy DKIM (publish the 3 CNAME records it outputs); when not, the sender address must be verified in SES by hand",
          ),
        cognito_sends_with_ses: z
          .boolean()
          .default(true)
          .describe(
            "Cognito sends its mail (invitations with the app's URL, password resets) through SES from sender_address. The identity must be verified before a deploy with true succeeds; false uses Cognito's default sender (no-reply@verificationemail.com, 50 mails a day, Cognito's own invitation text)",
          ),
        inbound: z
          .strictObject({
            address: z
              .email()
              .describe(
                "Where calendar replies come back: the ORGANIZER of invitations. Its domain's MX record must point at SES inbound in `region` (inbound-smtp.<region>.amazonaws.com)",
              ),
            region: z
              .string()
              .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as "eu-west-1"')
              .optional()
              .describe(
                "The SES region that receives the mail (receiving exists only in some regions); the deployment's region when not set. Its receipt rule writes to the files bucket, so it must be the bucket's region (the deployment's) for now",
              ),
            rule_set_name: z
              .string()
              .regex(/^[A-Za-z0-9._-]{1,64}$/, 'an SES receipt rule set name')
              .describe(
                "The account's ACTIVE receipt rule set (SES has one active set per region); the stack adds its rule to it and never replaces or activates a set",
              ),
          })
          .optional()
          .describe(
            "SES inbound mail (optional): receives calendar replies (iTIP REPLY) to invitations, and mail to the inbound domain in.<domain> (replies through users' Reply-To tokens, their forwarding addresses; its MX record must point at SES inbound too), into the files bucket under inbound/",
          ),
      })
      .refine((email) => !email.domain || email.sender_address.toLowerCase().endsWith(`@${email.domain}`), {
        path: ['sender_address'],
        message: 'must be an address of email.domain',
      }),
    /** The HTTP API. */
    api: z
      .strictObject({
        cors_allow_origins: z
          .array(
            z.union([
              z.literal('*'),
              z
                .string()
                .regex(/^https?:\/\/[^/\s]+$/, 'an origin such as "https://crm.example.com" (no path, no trailing slash)'),
            ]),
          )
          .min(1)
          .default(['*'])
          .describe(
            'Browser origins allowed by CORS; "*" (the default) is safe for an API that takes bearer tokens and no cookies',
          ),
      })
      .default({ cors_allow_origins: ['*'] }),
    /** The web app's sign-in through Cognito's hosted pages (authorization code with PKCE). */
    web: z
      .strictObject({
        callback_urls: z
          .array(z.url({ protocol: /^https$|^http$/ }))
          .min(1)
          .optional()
          .describe(
            "Where Cognito may send the browser back after sign-in and sign-out; by default app_url (point it at the CloudFront distribution's URL or your domain)",
          ),
        cognito_domain_prefix: z
          .string()
          .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lowercase letters, digits and hyphens (1 to 63)')
          .refine((v) => !/aws|amazon|cognito/.test(v), 'Cognito refuses prefixes containing aws, amazon or cognito')
          .optional()
          .describe(
            "The hosted sign-in domain's prefix (<prefix>.auth.<region>.amazoncognito.com); by default crm-<stage>-<account id>",
          ),
      })
      .default({}),
    /** Sign-in tokens (the Cognito app client). */
    auth: z
      .strictObject({
        refresh_token_validity_days: z
          .number()
          .int()
          .min(1)
          .max(3650)
          .default(7)
          .describe('How long a refresh token lets a client get new tokens without signing in again, in days'),
        refresh_token_rotation: z
          .boolean()
          .default(true)
          .describe(
            'Each refresh gives a new refresh token and invalidates the old one (after a 10 s grace period); clients refresh with GetTokensFromRefreshToken',
          ),
        admin_mfa_required: z
          .boolean()
          .default(true)
          .describe(
            'The API refuses admins (403 user.mfa_required) until they have activated an authenticator app (TOTP) in Cognito, after which Cognito asks for it at every sign-in; managers and users may still choose MFA',
          ),
      })
      .default({ refresh_token_validity_days: 7, refresh_token_rotation: true, admin_mfa_required: true }),
    default_pipeline: pipelineConfigSchema,
    reminders: z.strictObject({
      task_presets: z.array(z.enum(REMINDER_PRESET_NAMES as [string, ...string[]])).min(1),
      appointment_default_offset_minutes: z
        .number()
        .int()
        .min(0)
        .max(7 * 24 * 60),
    }),
    /** Invited on the first deploy, when the company has no active admin yet. */
    first_admin: z.strictObject({
      name: z.string().trim().min(1).max(200),
      email: z.email(),
    }),
    /** Where operators hear about trouble (infra/monitoring-stack.ts). */
    alarms: z.strictObject({
      email: z.email().describe('Receives every alarm and budget notification; AWS first mails it a link to confirm'),
      monthly_budget_usd: z
        .number()
        .positive()
        .max(1_000_000)
        .describe("The AWS account's monthly cost, in USD, above which the budget alerts (actual or forecast)"),
    }),
    /** Amazon Connect (F2.4): calls of the instance logged from its contact events (README "Calls and texts"). */
    connect: z
      .strictObject({
        instance_arn: z
          .string()
          .regex(
            CONNECT_INSTANCE_ARN,
            'an Amazon Connect instance ARN such as "arn:aws:connect:eu-west-1:111122223333:instance/<instance id>"',
          )
          .describe(
            "The instance whose contact events (on the default bus of its account and region) log calls; it must be in the deployment's region",
          ),
        agents: z
          .record(z.string().regex(/^[0-9a-f-]{36}$/, "a Connect user's id (a UUID)"), z.email())
          .default({})
          .describe(
            "Connect users (their id, as DescribeContact's AgentInfo.Id gives it) to CRM users (their e-mail): the agent who took a call is its user; an agent not listed leaves the call to its lead's or contact's owner",
          ),
      })
      .optional()
      .describe('Amazon Connect (optional): no instance, no rule and no Connect grant'),
    /** Automated actions (README "Automated actions"): each action is its own EventBridge rule. */
    automations: z.array(automationSchema).default([]),
    /** Notifications (README "Notifications"). */
    notifications: z
      .strictObject({
        defaults: z
          .partialRecord(z.enum(NOTIFICATION_KINDS), z.enum(NOTIFICATION_CHANNELS))
          .default({})
          .describe(
            "Each kind's channel (web, email, both, off) for users who never chose; kinds not named keep the built-in one",
          ),
      })
      .default({ defaults: {} }),
    max_automation_rules: z
      .number()
      .int()
      .min(0)
      .max(250)
      .default(100)
      .describe('Synth refuses more automation rules than this (EventBridge allows 300 rules per bus by default)'),
    mailbox_oauth: z
      .record(
        z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'lowercase letters, digits and dashes, at most 40 (e.g. "google")'),
        mailboxOAuthProviderSchema,
      )
      .default({})
      .describe(
        "OAuth2 providers users connect their mailboxes with (Gmail and Outlook require it), by name; none: password logins only. Each provider's redirect URI is <app_url>/settings/mailboxes/oauth",
      ),
    /** Zendesk Sell imports (README "Importing from Zendesk Sell"). */
    sell_import: z
      .strictObject({
        base_url: z
          .url({ protocol: /^https?$/ })
          .refine((url) => sellBaseUrlAllowed(url), 'https, or http only on loopback (a local stand-in)')
          .default(SELL_BASE_URL)
          .describe(
            "Sell's API that admin-started imports read (POST /sell_imports); a local cloud may point it at a stand-in on loopback",
          ),
      })
      .default({ base_url: SELL_BASE_URL }),
    log_retention_days: z.number().int().positive().default(30),
    event_archive_retention_days: z
      .number()
      .int()
      .min(8)
      .max(3650)
      .default(365)
      .describe(
        'How long the bus archive keeps every CRM event for `npm run replay` (days); at least 8, longer than the outbox keeps them',
      ),
  })
  // What the automations name must exist in what config knows (infra/automations.ts).
  .superRefine((config, ctx) => {
    for (const problem of automationProblems(config)) ctx.addIssue({ code: 'custom', ...problem });
    // Connect publishes to the default bus of the instance's own region: a rule elsewhere hears nothing.
    const instanceRegion = config.connect?.instance_arn.split(':')[3];
    if (instanceRegion !== undefined && instanceRegion !== config.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['connect', 'instance_arn'],
        message: `the instance is in ${instanceRegion}, the deployment in ${config.region}: its events reach only its own region's default bus`,
      });
    }
  });

export type CrmConfig = z.infer<typeof crmConfigSchema>;
