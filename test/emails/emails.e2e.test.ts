import { describe, expect, it } from 'vitest';
import { PutSuppressedDestinationCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { listContactActivitiesRoute } from '#shared/activities/routes.ts';
import { createContactRoute } from '#shared/contacts/routes.ts';
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import {
  addEmailSenderRoute,
  archiveEmailRoute,
  getEmailRoute,
  getForwardingAddressRoute,
  listEmailsRoute,
  sendEmailRoute,
} from '#shared/emails/routes.ts';
import { getLeadRoute } from '#shared/leads/routes.ts';
import { INBOUND_PATH } from '#infra/local/ses.ts';
import type { Email } from '#shared/emails/domain.ts';
import { LOCAL_ADMIN_ACCESS_KEY_ID } from '#infra/local/iam/gate.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// Users' own e-mail over the local cloud (issue 14 items 1, 2, 5): POST /emails writes the
// message and its mail request; the mail-sender sends it through the SES front (its own
// MessageId, tracking pixel and links) into the mail viewer; the front's aws.ses events reach
// the email-events consumer through the bus. Waits poll with a generous timeout.

const session = useTestCloud();
const { call } = session;

interface StoredEmail {
  from: string;
  destination: { to: string[] };
  subject: string;
  replyTo?: string[];
  body: { html?: string; text?: string };
}

async function store(): Promise<StoredEmail[]> {
  const answer = await fetch(`${session.cloud.sesUrl}/store`);
  return ((await answer.json()) as { emails: StoredEmail[] }).emails;
}

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const readEmail = async (id: string, as = 'rep1'): Promise<Email> =>
  bodyOf(await call(getEmailRoute, { as, params: { id } }), 200) as Email;

/** A mail client fetching the pixel (a person opening the mail). */
const MAIL_CLIENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)';

/** A received message's bytes (CRLF lines). */
const eml = (headers: Record<string, string>, body: string) =>
  Buffer.from(
    [
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );

const folder = async (name: 'inbox' | 'unverified' | 'sent', as = 'rep1'): Promise<Email[]> =>
  bodyOf(await call(listEmailsRoute, { as, query: { folder: name, limit: 50 } }), 200).items as Email[];

describe("users' own e-mail on the local cloud", () => {
  it('rep1 emails a contact: Sent, the contact’s timeline, the mail viewer; two pixel opens count 2, scanners and HEADs none', async () => {
    const contact = bodyOf(
      await call(createContactRoute, {
        as: 'rep1',
        body: { first_name: 'Anna', last_name: 'Puig', email: 'Anna@Cellers-Puig.example' },
      }),
      201,
    );
    const sent = bodyOf(
      await call(sendEmailRoute, {
        as: 'rep1',
        body: {
          to: ['anna@cellers-puig.example'],
          subject: 'Pressupost 2027',
          text: 'Bon dia Anna, us envio el pressupost.',
          html: '<html><body><p>Bon dia Anna, <a href="https://crm.example.com/quotes/7">el pressupost</a>.</p></body></html>',
        },
      }),
      201,
    ) as Email;
    // Matched by address, case-insensitively; filed in rep1's Sent; replies come back by token.
    expect(sent.records).toEqual([{ resource_type: 'contact', resource_id: contact.id }]);
    expect(sent).toMatchObject({ folder: 'sent', direction: 'outbound', status: 'queued', opened_count: 0 });
    expect(sent.from.address).toBe('rep1@example.com');
    expect(sent.reply_to).toMatch(/^reply\+[a-z0-9]+@in\.example\.com$/);
    const sentFolder = bodyOf(await call(listEmailsRoute, { as: 'rep1', query: { folder: 'sent', limit: 10 } }), 200);
    expect(sentFolder.items.map((e) => e.id)).toContain(sent.id);
    const inbox = bodyOf(await call(listEmailsRoute, { as: 'rep1', query: { limit: 10 } }), 200);
    expect(inbox.items.map((e) => e.id)).not.toContain(sent.id);

    // In the mail viewer, with SES's pixel and rewritten link.
    const viewed = await until('the mail in the viewer', async () =>
      (await store()).find((e) => e.subject === 'Pressupost 2027' && e.destination.to.includes('anna@cellers-puig.example')),
    );
    expect(viewed.from).toContain('rep1@example.com');
    expect(viewed.body.html).toContain(`${session.cloud.sesUrl}/t/open/`);
    expect(viewed.body.html).not.toContain('href="https://crm.example.com/quotes/7"');

    // Sent: SES's id, and the Message-ID header in the form replies quote.
    const settled = await until('the message sent', async () => {
      const e = await readEmail(sent.id);
      return e.provider_message_id ? e : undefined;
    });
    expect(['sent', 'delivered']).toContain(settled.status);
    expect(settled.header_message_id).toBe(`<${settled.provider_message_id}@eu-west-1.amazonses.com>`);
    expect(session.cloud.ses.tracked.get(settled.provider_message_id!)?.mail).toBeDefined();

    // On the contact's timeline.
    const entry = await until('the timeline entry', async () => {
      const page = bodyOf(
        await call(listContactActivitiesRoute, { as: 'rep1', params: { id: contact.id }, query: { limit: 20 } }),
        200,
      );
      return page.items.find((a) => a.record.type === 'email' && a.record.id === sent.id);
    });
    expect(entry).toMatchObject({
      verb: 'emailed',
      record: { name: 'Pressupost 2027' },
      parent: { type: 'contact', id: contact.id },
    });

    // Opens: two by a person, a HEAD and a link scanner's GET that count as none.
    const pixel = /src="([^"]+\/t\/open\/[0-9a-f]+)"/.exec(viewed.body.html!)![1]!;
    expect((await fetch(pixel, { method: 'HEAD', headers: { 'user-agent': MAIL_CLIENT } })).status).toBe(200);
    const scanner = await fetch(pixel, { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel)' } });
    expect(scanner.headers.get('content-type')).toBe('image/gif');
    for (let i = 0; i < 2; i++) {
      const answer = await fetch(pixel, { headers: { 'user-agent': MAIL_CLIENT } });
      expect(answer.status).toBe(200);
      await answer.arrayBuffer();
    }
    const opened = await until('two opens counted', async () => {
      const e = await readEmail(sent.id);
      return e.opened_count === 2 && e.automated_count === 1 ? e : undefined;
    });
    expect(opened.first_opened_at).not.toBeNull();
    expect(opened.last_opened_at! >= opened.first_opened_at!).toBe(true);

    // A click redirects to the original link and is counted.
    const link = /href="([^"]+\/t\/click\/[^"]+)"/.exec(viewed.body.html!)![1]!;
    const click = await fetch(link, { redirect: 'manual', headers: { 'user-agent': MAIL_CLIENT } });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe('https://crm.example.com/quotes/7');
    await until('the click counted', async () => ((await readEmail(sent.id)).click_count === 1 ? true : undefined));
    // Redeliveries of the same SES events count nothing twice.
    await session.cloud.bus.idle();
    expect((await readEmail(sent.id)).opened_count).toBe(2);

    // rep2 neither owns the mailbox nor sees the contact; archiving is the owner's.
    expect((await call(getEmailRoute, { as: 'rep2', params: { id: sent.id } })).status).toBe(404);
    const archived = bodyOf(await call(archiveEmailRoute, { as: 'rep1', params: { id: sent.id } }), 200) as Email;
    expect(archived.archived).toBe(true);
    const archive = bodyOf(await call(listEmailsRoute, { as: 'rep1', query: { folder: 'archived', limit: 10 } }), 200);
    expect(archive.items.map((e) => e.id)).toContain(sent.id);
  }, 90_000);

  it('refuses a suppressed address with a 422 naming the field, and a bounced one once SES reported the bounce', async () => {
    const ses = new SESv2Client({
      endpoint: session.cloud.sesUrl,
      region: 'eu-west-1',
      credentials: { accessKeyId: LOCAL_ADMIN_ACCESS_KEY_ID, secretAccessKey: 'local' },
    });
    await ses.send(new PutSuppressedDestinationCommand({ EmailAddress: 'gone@exemple.example', Reason: 'BOUNCE' }));
    ses.destroy();
    const refused = await call(sendEmailRoute, {
      as: 'rep1',
      body: { to: ['ok@exemple.example'], cc: ['Gone@Exemple.example'], subject: 'Hola', text: 'Hola' },
    });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).toContain('body.cc[0]');
    expect(JSON.stringify(refused.body)).toContain('email.recipient_suppressed');

    // SES's mailbox simulator bounces: its Bounce event marks the address.
    const bouncing = 'bounce@simulator.amazonses.com';
    const first = bodyOf(
      await call(sendEmailRoute, { as: 'rep1', body: { to: [bouncing], subject: 'Prova', text: 'Prova' } }),
      201,
    );
    await until('the bounce recorded', async () => ((await readEmail(first.id)).status === 'bounced' ? true : undefined));
    const again = await call(sendEmailRoute, { as: 'rep1', body: { to: [bouncing], subject: 'Prova 2', text: 'Prova' } });
    expect(again.status).toBe(422);
    expect(JSON.stringify(again.body)).toContain('body.to[0]');
  }, 60_000);

  it('an .eml reply from the contact lands in rep1’s inbox under the sent mail; an unknown sender’s dropped .eml in unverified, moved by add_sender', async () => {
    const contact = bodyOf(
      await call(createContactRoute, { as: 'rep1', body: { last_name: 'Soler', email: 'Jordi@Soler-Vins.example' } }),
      201,
    );
    const sent = bodyOf(
      await call(sendEmailRoute, {
        as: 'rep1',
        body: { to: ['jordi@soler-vins.example'], subject: 'Tast de vins', text: 'Hola Jordi, quedem dijous?' },
      }),
      201,
    ) as Email;
    const settled = await until('the message sent', async () => {
      const e = await readEmail(sent.id);
      return e.header_message_id ? e : undefined;
    });
    // The contact's client answers the Reply-To, quoting the wire's Message-ID and our References.
    const reply = eml(
      {
        From: '"Jordi Soler" <JORDI@soler-vins.example>',
        To: sent.reply_to!,
        Subject: 'Re: Tast de vins',
        'Message-ID': '<r1.jordi@soler-vins.example>',
        'In-Reply-To': settled.header_message_id!,
        References: `${settled.message_id} ${settled.header_message_id!}`,
      },
      'Dijous em va bé.',
    );
    const posted = await fetch(`${session.cloud.sesUrl}${INBOUND_PATH}`, { method: 'POST', body: reply });
    expect(posted.status).toBe(201);
    const answer = await until('the reply in the inbox', async () =>
      (await folder('inbox')).find((e) => e.header_message_id === '<r1.jordi@soler-vins.example>'),
    );
    expect(answer).toMatchObject({
      direction: 'inbound',
      thread_id: sent.thread_id,
      records: [{ resource_type: 'contact', resource_id: contact.id }],
      from: { name: 'Jordi Soler' },
    });
    // SES delivers it again: still one.
    expect((await fetch(`${session.cloud.sesUrl}${INBOUND_PATH}`, { method: 'POST', body: reply })).status).toBe(201);
    await session.cloud.bus.idle();
    expect((await folder('inbox')).filter((e) => e.header_message_id === '<r1.jordi@soler-vins.example>')).toHaveLength(1);

    // An unknown sender writes to rep1's forwarding address: the .eml is dropped in the watched folder.
    const { address } = bodyOf(await call(getForwardingAddressRoute, { as: 'rep1' }), 200);
    const dropped = eml(
      {
        From: 'Marina Costa <marina@costa-nova.example>',
        To: address,
        Subject: 'Consulta',
        'Message-ID': '<m1.marina@costa-nova.example>',
      },
      'Voldria informació.',
    );
    const inboundFolder = session.cloud.ses.inboundFolder!;
    writeFileSync(join(inboundFolder, '.consulta.tmp'), dropped);
    renameSync(join(inboundFolder, '.consulta.tmp'), join(inboundFolder, 'consulta.eml'));
    const unknown = await until('the mail in unverified', async () =>
      (await folder('unverified')).find((e) => e.header_message_id === '<m1.marina@costa-nova.example>'),
    );
    expect(unknown.records).toEqual([]);
    expect((await folder('unverified', 'rep2')).map((e) => e.id)).not.toContain(unknown.id);

    // "Add as lead": the lead is created from the header, the mail moves to the inbox.
    const added = bodyOf(await call(addEmailSenderRoute, { as: 'rep1', params: { id: unknown.id }, body: { as: 'lead' } }), 201);
    expect(added).toMatchObject({ resource_type: 'lead', refiled: 1 });
    const lead = bodyOf(await call(getLeadRoute, { as: 'rep1', params: { id: added.resource_id } }), 200);
    expect(lead).toMatchObject({ first_name: 'Marina', last_name: 'Costa', email: 'marina@costa-nova.example' });
    expect((await folder('inbox')).map((e) => e.id)).toContain(unknown.id);
    expect((await folder('unverified')).map((e) => e.id)).not.toContain(unknown.id);
  }, 90_000);
});
