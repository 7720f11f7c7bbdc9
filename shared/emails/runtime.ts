import { randomBytes } from 'node:crypto';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { contactAdapters } from '#shared/contacts/runtime.ts';
import { createContact } from '#shared/contacts/use-cases.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { createLead } from '#shared/leads/use-cases.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import { crmTable } from '#shared/platform/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import type { MailSettings } from '#shared/mail/runtime.ts';
import { DynamoAddressBook, DynamoEmailRepository } from './dynamodb.ts';
import { SesSuppressionList } from './ses.ts';
import type { EmailsDeps } from './use-cases.ts';

// The e-mail family's adapters, built once per container.

let deps: EmailsDeps | undefined;

export function emailAdapters(): EmailsDeps {
  if (deps) return deps;
  const table = crmTable();
  const settings = JSON.parse(requireEnv(RUNTIME_ENV.mailSettings)) as MailSettings;
  const users = new DynamoUserRepository(table);
  deps = {
    emails: new DynamoEmailRepository(table),
    records: new DynamoRecordOwners(table),
    addressBook: new DynamoAddressBook(table),
    suppression: new SesSuppressionList(new SESv2Client({})),
    mailboxes: { user: (id) => users.get(id) },
    senderRecords: {
      createLead: async (call, input) => (await createLead(leadAdapters(), call, input)).id,
      createContact: async (call, input) => (await createContact(contactAdapters(), call, input)).id,
    },
    domains: { sending: settings.mail_domain, inbound: settings.inbound_domain },
    // 128 bits, base 36: an address's local part takes it whole.
    newToken: () => BigInt(`0x${randomBytes(16).toString('hex')}`).toString(36),
  };
  return deps;
}
