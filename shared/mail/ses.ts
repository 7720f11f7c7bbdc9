import {
  GetAccountCommand,
  GetSuppressedDestinationCommand,
  NotFoundException,
  SendEmailCommand,
  type SESv2Client,
} from '@aws-sdk/client-sesv2';
import { MailThrottledError, type OutgoingMail } from './domain.ts';
import type { MailTransport } from './ports.ts';

// SES v2 as the mail-sender's transport: the deployment's configuration set and sender, the
// account's MaxSendRate (GetAccount, cached), and the account-level suppression list.

/** How long GetAccount's MaxSendRate is trusted (ms): a quota raise shows within this. */
export const SEND_RATE_TTL_MS = 10 * 60 * 1000;

/** SES's errors for rate and quota: the request waits on the queue and goes again. */
const THROTTLES = new Set([
  'TooManyRequestsException',
  'Throttling',
  'ThrottlingException',
  'LimitExceededException',
  'SendingPausedException',
]);

export interface SesTransportOptions {
  client: SESv2Client;
  configurationSet: string;
  /** The verified sender address. */
  senderAddress: string;
  /** Shown as the sender's name (config email.sender_name). */
  senderName?: string | undefined;
  now?: () => number;
}

export class SesMailTransport implements MailTransport {
  readonly #options: SesTransportOptions;
  #rate: { value: number; until: number } | undefined;
  constructor(options: SesTransportOptions) {
    this.#options = options;
  }

  async maxSendRate(): Promise<number> {
    const now = (this.#options.now ?? Date.now)();
    if (!this.#rate || this.#rate.until <= now) {
      const out = await this.#options.client.send(new GetAccountCommand({}));
      const value = out.SendQuota?.MaxSendRate;
      if (!value || value <= 0) throw new Error('SES GetAccount gave no MaxSendRate');
      this.#rate = { value, until: now + SEND_RATE_TTL_MS };
    }
    return this.#rate.value;
  }

  async suppression(address: string): Promise<{ reason: string } | undefined> {
    try {
      const out = await this.#options.client.send(new GetSuppressedDestinationCommand({ EmailAddress: address }));
      return { reason: out.SuppressedDestination?.Reason ?? 'UNKNOWN' };
    } catch (error) {
      if (error instanceof NotFoundException || (error as Error).name === 'NotFoundException') return undefined;
      throw error;
    }
  }

  async send(mail: OutgoingMail): Promise<string> {
    const { senderAddress, senderName, configurationSet, client } = this.#options;
    const from = mail.from ?? { address: senderAddress, name: senderName ?? null };
    const headers = Object.entries(mail.headers ?? {}).map(([Name, Value]) => ({ Name, Value }));
    try {
      const out = await client.send(
        new SendEmailCommand({
          FromEmailAddress: from.name ? `"${from.name.replace(/["\\\r\n]/g, '')}" <${from.address}>` : from.address,
          Destination: {
            ToAddresses: [mail.to, ...(mail.moreTo ?? [])],
            ...(mail.cc?.length ? { CcAddresses: mail.cc } : {}),
            ...(mail.bcc?.length ? { BccAddresses: mail.bcc } : {}),
          },
          ...(mail.replyTo ? { ReplyToAddresses: [mail.replyTo] } : {}),
          ConfigurationSetName: configurationSet,
          EmailTags: Object.entries(mail.tags).map(([Name, Value]) => ({ Name, Value })),
          Content: mail.raw
            ? { Raw: { Data: mail.raw } }
            : {
                Simple: {
                  Subject: { Data: mail.subject, Charset: 'UTF-8' },
                  Body: {
                    ...(mail.text ? { Text: { Data: mail.text, Charset: 'UTF-8' } } : {}),
                    ...(mail.html ? { Html: { Data: mail.html, Charset: 'UTF-8' } } : {}),
                  },
                  ...(headers.length > 0 ? { Headers: headers } : {}),
                },
              },
        }),
      );
      if (!out.MessageId) throw new Error('SES SendEmail gave no MessageId');
      return out.MessageId;
    } catch (error) {
      if (THROTTLES.has((error as Error).name)) throw new MailThrottledError(`SES refused for rate: ${(error as Error).message}`);
      throw error;
    }
  }
}
