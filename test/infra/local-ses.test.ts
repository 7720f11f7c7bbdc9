import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteSuppressedDestinationCommand,
  GetAccountCommand,
  GetSuppressedDestinationCommand,
  ListSuppressedDestinationsCommand,
  NotFoundException,
  PutSuppressedDestinationCommand,
  SendEmailCommand,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import sesLocalModule from 'aws-ses-v2-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#infra/local/ports.ts';
import { startLocalSes, type LocalSes } from '#infra/local/ses.ts';

// The local SES front through the real SES v2 client: GetAccount's quota and the suppression
// list served by the front, which aws-ses-v2-local lacks; sends and the viewer's /store
// forwarded to the emulator unchanged.

let viewer: Server;
let ses: LocalSes;
let client: SESv2Client;

beforeAll(async () => {
  const port = await freePort();
  const sesLocal = ((sesLocalModule as unknown as { default?: typeof sesLocalModule }).default ??
    sesLocalModule) as unknown as (c: { host: string; port: number }) => Promise<Server>;
  viewer = await sesLocal({ host: '127.0.0.1', port });
  ses = await startLocalSes({ upstream: `http://127.0.0.1:${port}`, maxSendRate: 3 });
  client = new SESv2Client({
    endpoint: ses.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
});

afterAll(async () => {
  client?.destroy();
  await ses?.stop();
  viewer?.closeAllConnections();
  await new Promise((resolve) => viewer?.close(resolve));
});

describe('the local SES front', () => {
  it('answers GetAccount with the sending quota it is given, and counts what was sent', async () => {
    const account = await client.send(new GetAccountCommand({}));
    expect(account.SendQuota).toMatchObject({ MaxSendRate: 3, Max24HourSend: 50_000, SentLast24Hours: 0 });
    expect(account.SendingEnabled).toBe(true);
    ses.maxSendRate = 1;
    expect((await client.send(new GetAccountCommand({}))).SendQuota?.MaxSendRate).toBe(1);
  });

  it('keeps the suppression list: put, get, list, delete; an address not on it is NotFoundException', async () => {
    await expect(client.send(new GetSuppressedDestinationCommand({ EmailAddress: 'a@example.com' }))).rejects.toBeInstanceOf(
      NotFoundException,
    );
    await client.send(new PutSuppressedDestinationCommand({ EmailAddress: 'A@example.com', Reason: 'COMPLAINT' }));
    const got = await client.send(new GetSuppressedDestinationCommand({ EmailAddress: 'a@example.com' }));
    expect(got.SuppressedDestination).toMatchObject({ EmailAddress: 'a@example.com', Reason: 'COMPLAINT' });
    expect(got.SuppressedDestination?.LastUpdateTime).toBeInstanceOf(Date);
    const listed = await client.send(new ListSuppressedDestinationsCommand({}));
    expect(listed.SuppressedDestinationSummaries?.map((s) => s.EmailAddress)).toEqual(['a@example.com']);
    await client.send(new DeleteSuppressedDestinationCommand({ EmailAddress: 'a@example.com' }));
    await expect(client.send(new GetSuppressedDestinationCommand({ EmailAddress: 'a@example.com' }))).rejects.toBeInstanceOf(
      NotFoundException,
    );
  });

  it('forwards sends to the mail viewer, whose /store it serves too', async () => {
    const out = await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'crm@example.com',
        Destination: { ToAddresses: ['rep@example.com'] },
        Content: { Simple: { Subject: { Data: 'Hello' }, Body: { Text: { Data: 'Body' } } } },
      }),
    );
    expect(out.MessageId).toBeTruthy();
    const store = (await (await fetch(`${ses.endpoint}/store`)).json()) as { emails: { subject: string }[] };
    expect(store.emails.map((e) => e.subject)).toEqual(['Hello']);
    expect(ses.sends).toBe(1);
    expect((await client.send(new GetAccountCommand({}))).SendQuota?.SentLast24Hours).toBe(1);
  });
});

describe('the local SES front, as SES with a tracked configuration set', () => {
  let front: LocalSes;
  let sesClient: SESv2Client;
  const published: { DetailType: string; Detail: string; Resources?: string[] }[] = [];
  const events = (type: string) =>
    published.filter((e) => e.DetailType === type).map((e) => JSON.parse(e.Detail) as Record<string, any>);

  beforeAll(async () => {
    const upstream = `http://127.0.0.1:${(viewer.address() as { port: number }).port}`;
    front = await startLocalSes({
      upstream,
      trackedConfigurationSets: ['crm-dev'],
      publish: (entries) => void published.push(...entries),
      region: 'eu-west-1',
      accountId: '123456789012',
    });
    sesClient = new SESv2Client({
      endpoint: front.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
  });
  afterAll(async () => {
    sesClient?.destroy();
    await front?.stop();
  });

  it('gives its own MessageId, adds the pixel, rewrites links and publishes Send and Delivery in SES’s shape', async () => {
    const out = await sesClient.send(
      new SendEmailCommand({
        FromEmailAddress: '"Rep One" <rep1@example.com>',
        Destination: { ToAddresses: ['anna@exemple.example'] },
        ConfigurationSetName: 'crm-dev',
        EmailTags: [{ Name: 'crm_message_id', Value: 'E1' }],
        Content: {
          Simple: {
            Subject: { Data: 'Tracked' },
            Body: {
              Html: {
                Data: '<body><a href="https://x.example/a?b=1">x</a><a ses:no-track href="https://x.example/keep">k</a></body>',
              },
              Text: { Data: 'x' },
            },
          },
        },
      }),
    );
    expect(out.MessageId).toMatch(/^0100[0-9a-f]{12}-[0-9a-f-]{36}-000000$/);
    const sent = front.tracked.get(out.MessageId!)!;
    expect(sent.html).toContain(`${front.endpoint}/t/open/${sent.token}`);
    expect(sent.html).toContain(`href="${front.endpoint}/t/click/${sent.token}/0"`);
    // A link marked ses:no-track is left alone, as SES does.
    expect(sent.html).toContain('<a ses:no-track href="https://x.example/keep">');
    expect(sent.links).toEqual(['https://x.example/a?b=1']);
    const stored = (await (await fetch(`${front.endpoint}/store`)).json()) as {
      emails: { subject: string; body: { html?: string } }[];
    };
    expect(stored.emails.find((e) => e.subject === 'Tracked')?.body.html).toBe(sent.html);
    const [send] = events('Email Sent');
    expect(send).toMatchObject({
      eventType: 'Send',
      mail: {
        messageId: out.MessageId,
        destination: ['anna@exemple.example'],
        tags: { 'ses:configuration-set': ['crm-dev'], crm_message_id: ['E1'] },
        commonHeaders: { subject: 'Tracked', messageId: `<${out.MessageId}@eu-west-1.amazonses.com>` },
      },
    });
    expect(published[0]!.Resources).toEqual(['arn:aws:ses:eu-west-1:123456789012:configuration-set/crm-dev']);
    expect(events('Email Delivered')[0]).toMatchObject({
      eventType: 'Delivery',
      delivery: { recipients: ['anna@exemple.example'] },
    });

    // A HEAD (scanner prefetch) is no open; each GET is one; a click redirects to the link.
    const pixel = `${front.endpoint}/t/open/${sent.token}`;
    expect((await fetch(pixel, { method: 'HEAD' })).status).toBe(200);
    expect(events('Email Opened')).toHaveLength(0);
    const gif = await fetch(pixel, { headers: { 'user-agent': 'Mail/1.0' } });
    expect(gif.headers.get('content-type')).toBe('image/gif');
    expect(events('Email Opened')[0]).toMatchObject({ eventType: 'Open', open: { userAgent: 'Mail/1.0' } });
    const click = await fetch(`${front.endpoint}/t/click/${sent.token}/0`, { redirect: 'manual' });
    expect(click.headers.get('location')).toBe('https://x.example/a?b=1');
    expect(events('Email Clicked')[0]).toMatchObject({ eventType: 'Click', click: { link: 'https://x.example/a?b=1' } });
    expect((await fetch(`${front.endpoint}/t/click/${sent.token}/9`, { redirect: 'manual' })).status).toBe(404);
  });

  it('bounces suppressed recipients and the simulator’s bounce address; the simulator’s complaint address complains', async () => {
    await sesClient.send(new PutSuppressedDestinationCommand({ EmailAddress: 'gone@exemple.example', Reason: 'BOUNCE' }));
    published.length = 0;
    await sesClient.send(
      new SendEmailCommand({
        FromEmailAddress: 'rep1@example.com',
        Destination: {
          ToAddresses: ['Gone@exemple.example', 'ok@exemple.example'],
          CcAddresses: ['bounce@simulator.amazonses.com', 'complaint@simulator.amazonses.com'],
        },
        ConfigurationSetName: 'crm-dev',
        Content: { Simple: { Subject: { Data: 'Mixed' }, Body: { Text: { Data: 'x' } } } },
      }),
    );
    const bounces = events('Email Bounced').map((e) => [
      e.bounce.bounceSubType,
      e.bounce.bouncedRecipients.map((r: any) => r.emailAddress),
    ]);
    expect(bounces).toEqual([
      ['OnAccountSuppressionList', ['Gone@exemple.example']],
      ['General', ['bounce@simulator.amazonses.com']],
    ]);
    expect(events('Email Delivered')[0]!.delivery.recipients).toEqual([
      'ok@exemple.example',
      'complaint@simulator.amazonses.com',
    ]);
    expect(events('Email Complaint Received')[0]).toMatchObject({
      complaint: { complainedRecipients: [{ emailAddress: 'complaint@simulator.amazonses.com' }] },
    });
  });

  it('publishes nothing and tracks nothing for a configuration set without tracking', async () => {
    published.length = 0;
    const out = await sesClient.send(
      new SendEmailCommand({
        FromEmailAddress: 'rep1@example.com',
        Destination: { ToAddresses: ['x@exemple.example'] },
        ConfigurationSetName: 'other',
        Content: { Simple: { Subject: { Data: 'Plain' }, Body: { Html: { Data: '<a href="https://x.example">x</a>' } } } },
      }),
    );
    expect(front.tracked.has(out.MessageId!)).toBe(false);
    expect(published).toHaveLength(0);
  });
});

describe('inbound folder', () => {
  it('receives each settled .eml once and moves it to done/, a failing one to failed/ beside its error; other files stay', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'ses-inbound-test-'));
    const received: string[] = [];
    const front = await startLocalSes({
      upstream: 'http://127.0.0.1:9',
      inboundFolder: folder,
      receive: async (eml) => {
        const text = eml.toString('utf8');
        if (text.includes('broken')) throw new Error('the bucket said no');
        received.push(text);
        return `inbound/${received.length}`;
      },
    });
    try {
      expect(front.inboundFolder).toBe(folder);
      writeFileSync(join(folder, 'a.eml'), 'Subject: a\r\n\r\nA\r\n');
      writeFileSync(join(folder, 'b.eml'), 'Subject: broken\r\n\r\nB\r\n');
      writeFileSync(join(folder, 'notes.txt'), 'not mail');
      const deadline = Date.now() + 10_000;
      while (!(existsSync(join(folder, 'done', 'a.eml')) && existsSync(join(folder, 'failed', 'b.eml')))) {
        if (Date.now() > deadline) throw new Error(`not moved: ${readdirSync(folder).join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(received).toEqual(['Subject: a\r\n\r\nA\r\n']);
      expect(readFileSync(join(folder, 'failed', 'b.eml.error.txt'), 'utf8')).toBe('the bucket said no');
      expect(readdirSync(folder).sort()).toEqual(['done', 'failed', 'notes.txt']);
    } finally {
      await front.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
