import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Account } from '#shared/identity/account.ts';
import type { User } from '#shared/identity/domain.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { MailRequest } from '#shared/mail/domain.ts';
import type { ClaimedMail, MailJob, MailSettlement } from '#shared/mail/ports.ts';
import { indexKeys } from '#shared/platform/dynamodb/partitions.ts';
import type { Item, Table } from '#shared/platform/dynamodb/table.ts';
import { MAX_ITEM_RECORDS, type NotificationKind, type NotifiedRecord } from './domain.ts';
import { notificationIndex, notificationPartition, PENDING_EMAIL_PREFIX } from './dynamodb.ts';
import { alertMail } from './email.ts';

// The alert job of the mail-sender: a request names a recipient and a notification group;
// the job claims that group's pending e-mails (a conditional write per item), so a burst of
// assignments makes one mail and the other requests of the burst find nothing left to send.

/** A claim older than this is taken to have died with its worker (above the queue's visibility timeout). */
export const CLAIM_TIMEOUT_MS = 5 * 60 * 1000;
/** Pending e-mails one mail covers at most (one transaction claims them). */
const MAX_CLAIM = 50;

/** What the job reads about people and the company. */
export interface AlertDirectory {
  user(id: string): Promise<(Pick<User, 'id' | 'name' | 'email' | 'status'> & { time_zone?: string | null }) | undefined>;
  account(): Promise<Pick<Account, 'name' | 'logo_url' | 'timezone' | 'time_format'>>;
}

interface PendingEmail {
  pk: string;
  sk: string;
  status: 'pending' | 'sending' | 'sent' | 'suppressed' | 'no_recipient';
  event_id: string;
  notification_kind: NotificationKind;
  /** A rule's match: the rule, as the inbox item holds it. */
  rule?: { id: string; name: string };
  actor_id: string;
  record: NotifiedRecord;
  /** A job's one e-mail for the recipient (notification dynamodb jobFinished): the records it counts. */
  count?: number;
  occurred_at: string;
  claim_id?: string;
  claimed_at?: string;
}

interface Handle {
  claimId: string;
  items: PendingEmail[];
}

const PENDING_INDEX_ATTRIBUTES = Object.keys(indexKeys('x', notificationIndex.pendingEmail()));

export class AlertMailJob implements MailJob {
  readonly #table: Table;
  readonly #directory: AlertDirectory;
  readonly #appUrl: string;
  constructor(table: Table, directory: AlertDirectory, appUrl: string) {
    this.#table = table;
    this.#directory = directory;
    this.#appUrl = appUrl;
  }

  async claim(request: MailRequest, now: Date): Promise<ClaimedMail | undefined> {
    const items = (await this.#table.partition(
      notificationPartition(request.recipient_id),
      `${PENDING_EMAIL_PREFIX}${request.ref}#`,
    )) as unknown as PendingEmail[];
    const own = items.find((i) => i.event_id === request.event_id);
    if (!own || own.status === 'sent' || own.status === 'suppressed' || own.status === 'no_recipient') return undefined;
    const stale = (i: PendingEmail) =>
      i.status === 'sending' && Date.parse(i.claimed_at ?? '') < now.getTime() - CLAIM_TIMEOUT_MS;
    if (own.status === 'sending' && !stale(own))
      throw new Error(`mail of ${request.ref} for ${request.recipient_id} is being sent`);
    const claimable = items.filter((i) => i.status === 'pending' || stale(i)).slice(0, MAX_CLAIM);
    const claimId = newId(now.getTime());
    await this.#table.client.send(
      new TransactWriteCommand({
        TransactItems: claimable.map((i) => ({
          Update: {
            TableName: this.#table.name,
            Key: { pk: i.pk, sk: i.sk },
            UpdateExpression: 'SET #status = :sending, claim_id = :claim, claimed_at = :at',
            ConditionExpression:
              i.claim_id === undefined
                ? '#status = :seen AND attribute_not_exists(claim_id)'
                : '#status = :seen AND claim_id = :seenClaim',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':sending': 'sending',
              ':claim': claimId,
              ':at': now.toISOString(),
              ':seen': i.status,
              ...(i.claim_id === undefined ? {} : { ':seenClaim': i.claim_id }),
            },
          },
        })),
      }),
    );
    const handle: Handle = { claimId, items: claimable };
    const recipient = await this.#directory.user(request.recipient_id);
    if (!recipient || recipient.status !== 'active') return { mail: undefined, covers: claimable.length, handle };
    const account = await this.#directory.account();
    const first = claimable[0] ?? own;
    const actor = first.actor_id === 'system' ? undefined : await this.#directory.user(first.actor_id);
    const records: NotifiedRecord[] = [];
    for (const i of claimable) {
      if (!records.some((r) => r.type === i.record.type && r.id === i.record.id)) records.push(i.record);
    }
    const at =
      claimable
        .map((i) => i.occurred_at)
        .sort()
        .at(-1) ?? own.occurred_at;
    // A job's e-mail names its first record and counts the rest.
    const unnamed = claimable.reduce((n, i) => n + Math.max(0, (i.count ?? 1) - 1), 0);
    const content = alertMail({
      kind: first.notification_kind,
      rule: first.rule,
      count: records.length + unnamed,
      records: records.slice(0, MAX_ITEM_RECORDS),
      at,
      actor_name: actor?.name ?? 'An automation',
      recipient: {
        name: recipient.name,
        time_zone: recipient.time_zone ?? account.timezone,
        time_format: account.time_format,
      },
      company: { name: account.name, logo_url: account.logo_url },
      app_url: this.#appUrl,
    });
    return {
      mail: { to: recipient.email, ...content, tags: { crm_message_id: claimId, crm_mail_type: request.type } },
      covers: claimable.length,
      handle,
    };
  }

  async settle(claimed: ClaimedMail, settlement: MailSettlement, now: Date): Promise<void> {
    const { claimId, items } = claimed.handle as Handle;
    if (items.length === 0) return;
    const released = settlement.status === 'released';
    const fields: Item = released
      ? {}
      : {
          settled_at: now.toISOString(),
          ...(settlement.status === 'sent' ? { message_id: settlement.message_id } : {}),
          ...(settlement.status === 'suppressed' ? { suppression_reason: settlement.reason } : {}),
        };
    const names = Object.keys(fields);
    const set = ['#status = :status', ...names.map((n, i) => `#f${i} = :f${i}`)].join(', ');
    const remove = released ? ['claim_id', 'claimed_at'] : PENDING_INDEX_ATTRIBUTES;
    await this.#table.client.send(
      new TransactWriteCommand({
        TransactItems: items.map((i) => ({
          Update: {
            TableName: this.#table.name,
            Key: { pk: i.pk, sk: i.sk },
            UpdateExpression: `SET ${set} REMOVE ${remove.join(', ')}`,
            ConditionExpression: 'claim_id = :claim',
            ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(names.map((n, i) => [`#f${i}`, n])) },
            ExpressionAttributeValues: {
              ':status': released ? 'pending' : settlement.status,
              ':claim': claimId,
              ...Object.fromEntries(names.map((n, i) => [`:f${i}`, fields[n]])),
            },
          },
        })),
      }),
    );
  }
}
