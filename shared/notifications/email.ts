import type { InboxKind, NotifiedRecord, NotifiedRecordType } from './domain.ts';

// The e-mail alert of a notification (F2.1): subject, plain text and HTML from the
// notification (kind, actor, records), the company's name and logo, a link into the app, and
// the time in the recipient's zone. Pure: the mail-sender's alert job (email-jobs.ts) reads
// what it needs and sends what this returns. Every value is escaped in the HTML.

/** What an alert says. */
export interface AlertContent {
  kind: InboxKind;
  /** The matching rule of a rule_matched alert (F2.2): its name heads the mail. */
  rule?: { name: string } | undefined;
  /** Assignments in the mail (a group's pending e-mails: > 1 makes one grouped mail). */
  count: number;
  /** The records named (at most a few; `count` may be larger). */
  records: readonly NotifiedRecord[];
  /** When the (last) assignment happened, ISO 8601. */
  at: string;
  actor_name: string;
  recipient: { name: string; time_zone: string; time_format: '12h' | '24h' };
  company: { name: string; logo_url?: string | null | undefined };
  /** The app's base URL (config app_url). */
  app_url: string;
}

const NOUN: Record<NotifiedRecordType, [string, string]> = {
  lead: ['lead', 'leads'],
  contact: ['contact', 'contacts'],
  deal: ['deal', 'deals'],
  task: ['task', 'tasks'],
  appointment: ['appointment', 'appointments'],
  import: ['import', 'imports'],
  bulk_operation: ['bulk operation', 'bulk operations'],
  export: ['export', 'exports'],
  mailbox: ['mailbox', 'mailboxes'],
  sell_import: ['import', 'imports'],
};

/**
 * The web app's page of each record type (its routes: web/src/router.tsx), as a path with its
 * query; null: the app has no page for it, and the link goes to the inbox, which lists it.
 */
export const RECORD_PAGES: Readonly<Record<NotifiedRecordType, ((id: string) => string) | null>> = {
  lead: (id) => `/leads/${encodeURIComponent(id)}`,
  contact: (id) => `/contacts/${encodeURIComponent(id)}`,
  deal: (id) => `/deals/${encodeURIComponent(id)}`,
  task: () => '/tasks',
  appointment: () => '/calendar',
  mailbox: () => '/settings?tab=mailboxes',
  import: null,
  bulk_operation: null,
  export: null,
  sell_import: (id) => `/sell_imports/${encodeURIComponent(id)}`,
};

const TYPE_OF: Partial<Record<InboxKind, NotifiedRecordType>> = {
  lead_assigned: 'lead',
  deal_assigned: 'deal',
  task_assigned: 'task',
  import_finished: 'import',
  bulk_operation_finished: 'bulk_operation',
  export_finished: 'export',
  mailbox_synced: 'mailbox',
  mailbox_needs_reconnect: 'mailbox',
};

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A link to the record in the app, or to the inbox for a group. */
export function alertLink(appUrl: string, records: readonly NotifiedRecord[], count: number): string {
  const base = appUrl.replace(/\/+$/, '');
  const only = count === 1 ? records[0] : undefined;
  const page = only ? RECORD_PAGES[only.type]?.(only.id) : undefined;
  return `${base}${page ?? '/notifications'}`;
}

/** `at` as the recipient reads it: "Tue, 1 Dec 2026, 09:30 CET" in their zone and clock. */
export function localTime(at: string, timeZone: string, timeFormat: '12h' | '24h'): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: timeFormat === '12h',
    timeZoneName: 'short',
  }).format(new Date(at));
}

const recordLabel = (r: NotifiedRecord): string => r.name ?? `(unnamed ${r.type})`;

/**
 * What the alert says happened, per kind: an assignment names who made it, a reminder the
 * record, a rule's match the rule; several records (a group) are counted.
 */
function subjectOf(content: AlertContent): string {
  const type = TYPE_OF[content.kind] ?? content.records[0]?.type ?? 'lead';
  const [one, many] = NOUN[type];
  const first = content.records[0];
  const label = first ? recordLabel(first) : '';
  const n = content.count;
  switch (content.kind) {
    case 'lead_assigned':
    case 'deal_assigned':
    case 'task_assigned':
      return n > 1
        ? `${content.actor_name} assigned you ${n} ${many}`
        : `${content.actor_name} assigned you the ${one} ${label}`.trimEnd();
    case 'task_reminder':
    case 'appointment_reminder':
      return n > 1 ? `Reminder: ${n} ${many}` : `Reminder: ${label}`.trimEnd();
    case 'appointment_invitation':
      // Sent as the invitation itself (shared/invitations), never as an alert; named for completeness.
      return n > 1 ? `${n} invitations` : `Invitation: ${label}`.trimEnd();
    case 'capture_form_lead':
      return n > 1 ? `${n} new leads from your capture forms` : `New lead from a capture form: ${label}`.trimEnd();
    case 'import_finished':
      return n > 1 ? `${n} of your imports finished` : `Your import ${label} finished`.replace('  ', ' ');
    case 'mailbox_synced':
      return n > 1 ? `${n} of your mailboxes finished their first sync` : `Your mailbox ${label} is synced`.replace('  ', ' ');
    case 'mailbox_needs_reconnect':
      return n > 1
        ? `${n} of your mailboxes must be connected again`
        : `Connect your mailbox ${label} again: the CRM no longer reads it`.replace('  ', ' ');
    case 'export_finished':
      return n > 1 ? `${n} exports are ready` : 'Your export is ready';
    case 'bulk_operation_finished':
      return n > 1 ? `${n} of your bulk operations finished` : 'Your bulk operation finished';
    case 'incoming_call':
      return n > 1 ? `${n} incoming calls` : `Incoming call from ${label}`.trimEnd();
    case 'incoming_text':
      return n > 1 ? `${n} incoming text messages` : `Text message from ${label}`.trimEnd();
    case 'rule_matched': {
      const rule = content.rule ? `"${content.rule.name}"` : 'A notification rule';
      return n > 1 ? `${rule} matched ${n} ${many}` : `${rule} matched the ${one} ${label}`.trimEnd();
    }
  }
}

/** The alert's subject, plain text and HTML. */
export function alertMail(content: AlertContent): { subject: string; text: string; html: string } {
  const grouped = content.count > 1;
  const subject = subjectOf(content);
  const when = localTime(content.at, content.recipient.time_zone, content.recipient.time_format);
  const link = alertLink(content.app_url, content.records, content.count);
  const more = content.count - content.records.length;
  const listed = grouped ? content.records.map(recordLabel) : [];

  const text = [
    `Hello ${content.recipient.name},`,
    '',
    `${subject} (${when}).`,
    ...(listed.length ? ['', ...listed.map((l) => `- ${l}`), ...(more > 0 ? [`- and ${more} more`] : [])] : []),
    '',
    `Open in ${content.company.name} CRM: ${link}`,
    '',
    `-- ${content.company.name}`,
  ].join('\n');

  const e = escapeHtml;
  const logo = content.company.logo_url
    ? `<img src="${e(content.company.logo_url)}" alt="${e(content.company.name)}" style="max-height:48px"><br>`
    : '';
  const items = listed.length
    ? `<ul>${listed.map((l) => `<li>${e(l)}</li>`).join('')}${more > 0 ? `<li>and ${more} more</li>` : ''}</ul>`
    : '';
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `${logo}<p>Hello ${e(content.recipient.name)},</p>`,
    `<p>${e(subject)} (${e(when)}).</p>`,
    items,
    // The configuration set tracks clicks (users' own mail); SES leaves a ses:no-track link alone.
    `<p><a ses:no-track href="${e(link)}">Open in ${e(content.company.name)} CRM</a></p>`,
    `<p style="color:#888">${e(content.company.name)}</p>`,
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
