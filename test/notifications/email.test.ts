import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { alertLink, alertMail, escapeHtml, localTime, RECORD_PAGES, type AlertContent } from '#shared/notifications/email.ts';

// The alert's text: escaped HTML, one grouped mail for many assignments, dates in the
// recipient's zone.

const base: AlertContent = {
  kind: 'lead_assigned',
  count: 1,
  records: [{ type: 'lead', id: 'L1', name: 'Ann <b>Bold</b> & "Co"' }],
  at: '2026-07-01T08:30:00.000Z',
  actor_name: 'Max <Manager>',
  recipient: { name: 'Rita', time_zone: 'Europe/Paris', time_format: '24h' },
  company: { name: 'Acme & Sons', logo_url: 'https://cdn.example.com/logo.png?a=1&b="2"' },
  app_url: 'https://crm.example.com/',
};

describe('alertMail', () => {
  it('names the actor, the record, the company and links to the record', () => {
    const mail = alertMail(base);
    expect(mail.subject).toBe('Max <Manager> assigned you the lead Ann <b>Bold</b> & "Co"');
    expect(mail.text).toContain('https://crm.example.com/leads/L1');
    expect(mail.text).toContain('Acme & Sons');
    expect(mail.html).toContain('href="https://crm.example.com/leads/L1"');
  });

  it('escapes every value in the HTML', () => {
    const { html } = alertMail(base);
    expect(html).toContain('Ann &lt;b&gt;Bold&lt;/b&gt; &amp; &quot;Co&quot;');
    expect(html).toContain('Max &lt;Manager&gt;');
    expect(html).toContain('Acme &amp; Sons');
    expect(html).toContain('src="https://cdn.example.com/logo.png?a=1&amp;b=&quot;2&quot;"');
    expect(html).not.toMatch(/<b>|<Manager>/);
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });

  it('makes one grouped mail for many assignments, listing them and linking to the inbox', () => {
    const records = Array.from({ length: 3 }, (_, i) => ({ type: 'deal' as const, id: `D${i}`, name: `Deal ${i}` }));
    const mail = alertMail({ ...base, kind: 'deal_assigned', count: 5, records });
    expect(mail.subject).toBe('Max <Manager> assigned you 5 deals');
    expect(mail.text).toContain('- Deal 0\n- Deal 1\n- Deal 2\n- and 2 more');
    expect(mail.html).toContain('<li>Deal 2</li><li>and 2 more</li>');
    expect(mail.text).toContain('https://crm.example.com/notifications');
    expect(alertLink('https://crm.example.com', records, 3)).toBe('https://crm.example.com/notifications');
  });

  it('links only to pages the web app has (its router), else to the inbox: every record type', () => {
    const router = readFileSync(new URL('../../web/src/router.tsx', import.meta.url), 'utf8');
    const routes = [...router.matchAll(/path: '([^']+)'/g)].map((m) => new RegExp(`^${m[1]!.replace(/\$\w+/g, '[^/]+')}$`));
    for (const type of Object.keys(RECORD_PAGES) as (keyof typeof RECORD_PAGES)[]) {
      const link = new URL(alertLink('https://crm.example.com', [{ type, id: '01JREC', name: 'R' }], 1));
      expect(
        routes.some((route) => route.test(link.pathname)),
        `${type}: ${link.pathname}`,
      ).toBe(true);
    }
    expect(alertLink('https://crm.example.com/', [{ type: 'mailbox', id: 'M1', name: 'M' }], 1)).toBe(
      'https://crm.example.com/settings?tab=mailboxes',
    );
    expect(alertLink('https://crm.example.com', [{ type: 'lead', id: 'L 1', name: 'L' }], 1)).toBe(
      'https://crm.example.com/leads/L%201',
    );
    expect(alertLink('https://crm.example.com', [{ type: 'sell_import', id: 'S1', name: 'Sell' }], 1)).toBe(
      'https://crm.example.com/sell_imports/S1',
    );
  });

  it('says what happened per kind: a reminder is no assignment, a rule match names its rule', () => {
    const task = [{ type: 'task' as const, id: 'T1', name: 'Call Ann' }];
    expect(alertMail({ ...base, kind: 'task_reminder', records: task }).subject).toBe('Reminder: Call Ann');
    expect(alertMail({ ...base, kind: 'task_reminder', count: 3, records: task }).subject).toBe('Reminder: 3 tasks');
    const deal = [{ type: 'deal' as const, id: 'D1', name: 'Big deal' }];
    expect(alertMail({ ...base, kind: 'rule_matched', rule: { name: 'Deals to quote' }, records: deal }).subject).toBe(
      '"Deals to quote" matched the deal Big deal',
    );
    expect(alertMail({ ...base, kind: 'capture_form_lead' }).subject).toBe(
      'New lead from a capture form: Ann <b>Bold</b> & "Co"',
    );
    const file = [{ type: 'import' as const, id: 'I1', name: 'leads.csv' }];
    expect(alertMail({ ...base, kind: 'import_finished', records: file }).subject).toBe('Your import leads.csv finished');
    for (const kind of ['task_reminder', 'rule_matched', 'capture_form_lead', 'import_finished', 'export_finished'] as const) {
      expect(alertMail({ ...base, kind }).subject, kind).not.toContain('assigned');
    }
  });

  it("shows the time in the recipient's zone and clock, DST included", () => {
    expect(localTime('2026-07-01T08:30:00.000Z', 'Europe/Paris', '24h')).toMatch(/1 Jul 2026.*10:30.*CEST/);
    expect(localTime('2026-12-01T08:30:00.000Z', 'Europe/Paris', '24h')).toMatch(/1 Dec 2026.*09:30.*CET/);
    expect(localTime('2026-12-01T20:30:00.000Z', 'America/New_York', '12h')).toMatch(/1 Dec 2026, 03:30 pm GMT-5/);
    expect(alertMail(base).text).toContain('10:30');
    expect(alertMail({ ...base, recipient: { ...base.recipient, time_zone: 'Asia/Tokyo' } }).text).toMatch(/17:30 GMT\+9/);
  });
});
