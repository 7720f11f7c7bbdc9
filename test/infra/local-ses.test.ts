import type { Server } from 'node:http';
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
