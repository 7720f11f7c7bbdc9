import { SESv2Client } from '@aws-sdk/client-sesv2';
import { getAccount } from '#shared/identity/account-use-cases.ts';
import { DynamoAccountRepository, DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { accountDefaults } from '#shared/identity/runtime.ts';
import { systemClock } from '#shared/kernel/ports.ts';
import { InvitationMailJob } from '#shared/invitations/mail-job.ts';
import { AlertMailJob } from '#shared/notifications/email-jobs.ts';
import { UserEmailJob } from '#shared/emails/mail-job.ts';
import { logger } from '#shared/platform/observability.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { MAIL_SENDER_CONCURRENCY, SendPacer } from './domain.ts';
import { SesMailTransport } from './ses.ts';
import type { MailSenderDeps } from './use-cases.ts';

// The mail-sender's wiring, built once per container: SES v2 with the deployment's
// configuration set and sender, the jobs by request type, and this worker's pacer.

let deps: MailSenderDeps | undefined;

/**
 * The config's mail settings (CRM_MAIL_SETTINGS): the app's URL for links, the sender's name,
 * and the invitations' ORGANIZER address (the inbound calendar address, else the sender).
 */
export interface MailSettings {
  app_url: string;
  sender_name?: string | undefined;
  /** The domain users send their own mail from (infra/functions.ts mailDomains). */
  mail_domain: string;
  /** The SES receiving domain of users' Reply-To tokens. */
  inbound_domain: string;
  organizer_address?: string | undefined;
}

export function mailSenderAdapters(): MailSenderDeps {
  if (deps) return deps;
  const table = crmTable();
  const settings = JSON.parse(requireEnv(RUNTIME_ENV.mailSettings)) as MailSettings;
  const users = new DynamoUserRepository(table);
  const account = new DynamoAccountRepository(table);
  const defaults = accountDefaults();
  const senderAddress = requireEnv(RUNTIME_ENV.senderAddress);
  deps = {
    transport: new SesMailTransport({
      client: new SESv2Client({}),
      configurationSet: requireEnv(RUNTIME_ENV.sesConfigurationSet),
      senderAddress,
      senderName: settings.sender_name,
    }),
    jobs: {
      notification_alert: new AlertMailJob(
        table,
        { user: (id) => users.get(id), account: () => getAccount({ account, defaults }) },
        settings.app_url,
      ),
      user_email: new UserEmailJob(table, requireEnv('AWS_REGION'), { user: (id) => users.get(id) }),
      appointment_invitation: new InvitationMailJob(table, {
        sender: { address: senderAddress, name: settings.sender_name },
        organizerAddress: settings.organizer_address ?? senderAddress,
        appUrl: settings.app_url,
        account: () => getAccount({ account, defaults }),
      }),
    },
    pacer: new SendPacer(Date.now, (ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    concurrency: MAIL_SENDER_CONCURRENCY,
    clock: systemClock,
    log: { warn: (m, f) => logger.warn(m, f), info: (m, f) => logger.info(m, f) },
  };
  return deps;
}
