import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Account } from '#shared/identity/account.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { MailRequest } from '#shared/mail/domain.ts';
import type { ClaimedMail, MailJob, MailSettlement } from '#shared/mail/ports.ts';
import type { Item } from '#shared/platform/dynamodb/table.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { describeWhen, newRsvpToken, rsvpTokenHash } from './domain.ts';
import { expiresAt, invitationKeyOfRef, rsvpTokenKey, type InvitationItem } from './dynamodb.ts';
import { appointmentUid } from '#shared/appointments/domain.ts';

// The invitation job of the mail-sender: a request names one planned mail (an item of the
// appointment's invitation partition). Claiming it (a conditional write) also mints the RSVP
// token its links carry, stored as a hash; the mail is composed as raw MIME (text, HTML with
// the company logo by URL and the links, text/calendar with METHOD) and sent by SES as is.

/** A claim older than this is taken to have died with its worker (above the queue's visibility timeout). */
export const INVITATION_CLAIM_TIMEOUT_MS = 5 * 60 * 1000;

/** What the job needs beside the table. */
export interface InvitationMailSettings {
  /** The sender (SES identity) and its display name. */
  sender: { address: string; name: string | undefined };
  /** ORGANIZER's address: the inbound calendar address (REPLYs come back there), else the sender. */
  organizerAddress: string;
  /** The web app's URL: the RSVP links open its page "<app_url>/rsvp/<token>?response=<answer>". */
  appUrl: string;
  account: () => Promise<Pick<Account, 'name' | 'logo_url'>>;
}

interface Handle {
  item: InvitationItem;
  claimId: string;
}

export class InvitationMailJob implements MailJob {
  readonly #table: Table;
  readonly #settings: InvitationMailSettings;
  constructor(table: Table, settings: InvitationMailSettings) {
    this.#table = table;
    this.#settings = settings;
  }

  async claim(request: MailRequest, now: Date): Promise<ClaimedMail | undefined> {
    const key = invitationKeyOfRef(request.ref);
    const item = key && ((await this.#table.get(key)) as InvitationItem | undefined);
    if (!item || item.status === 'sent' || item.status === 'suppressed' || item.status === 'no_recipient') return undefined;
    const stale = item.status === 'sending' && Date.parse(item.claimed_at ?? '') < now.getTime() - INVITATION_CLAIM_TIMEOUT_MS;
    if (item.status === 'sending' && !stale) throw new Error(`invitation ${request.ref} is being sent`);
    const claimId = newId(now.getTime());
    const token = item.method === 'REQUEST' ? newRsvpToken() : undefined;
    const tokenItem: Item | undefined =
      token === undefined
        ? undefined
        : {
            ...rsvpTokenKey(rsvpTokenHash(token)),
            [tableSpec.kindAttribute]: 'rsvp_token',
            [tableSpec.timeToLiveAttribute]: expiresAt(item.appointment),
            appointment_id: item.appointment.id,
            attendee_key: item.attendee_key,
            sequence: item.appointment.sequence,
          };
    await this.#table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.#table.name,
              Key: { pk: item.pk, sk: item.sk },
              UpdateExpression: 'SET #status = :sending, claim_id = :claim, claimed_at = :at',
              ConditionExpression:
                item.claim_id === undefined
                  ? '#status = :seen AND attribute_not_exists(claim_id)'
                  : '#status = :seen AND claim_id = :seenClaim',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':sending': 'sending',
                ':claim': claimId,
                ':at': now.toISOString(),
                ':seen': item.status,
                ...(item.claim_id === undefined ? {} : { ':seenClaim': item.claim_id }),
              },
            },
          },
          ...(tokenItem ? [{ Put: { TableName: this.#table.name, Item: tokenItem } }] : []),
        ],
      }),
    );
    const handle: Handle = { item, claimId };
    const a = item.appointment;
    const account = await this.#settings.account();
    const link = (answer: string) => `${this.#settings.appUrl.replace(/\/+$/, '')}/rsvp/${token ?? ''}?response=${answer}`;
    // nodemailer's composer loads with the first invitation, not with every alert this sender sends.
    const { composeInvitation } = await import('./mime.ts');
    const { subject, raw } = await composeInvitation({
      from: { name: this.#settings.sender.name ?? account.name, address: this.#settings.sender.address },
      to: { name: item.to_name, address: item.to_address },
      company: { name: account.name, logo_url: account.logo_url ?? null },
      when: describeWhen(a),
      links: token ? { accepted: link('accepted'), tentative: link('tentative'), declined: link('declined') } : null,
      calendar: {
        method: item.method,
        uid: appointmentUid(a.id),
        sequence: a.sequence,
        stamp: now,
        summary: a.name,
        description: a.description,
        location: a.location,
        start: a.start_at,
        end: a.end_at,
        allDay: a.all_day,
        startDate: a.start_date,
        endDate: a.end_date,
        timeZone: a.time_zone,
        organizer: { name: item.organizer_name, email: this.#settings.organizerAddress },
        attendee: { name: item.to_name, email: item.to_address, status: item.attendee.status },
      },
    });
    return {
      mail: {
        to: item.to_address,
        subject,
        text: '',
        html: '',
        raw,
        tags: { crm_message_id: claimId, crm_mail_type: request.type },
      },
      covers: 1,
      handle,
    };
  }

  async settle(claimed: ClaimedMail, settlement: MailSettlement, now: Date): Promise<void> {
    const { item, claimId } = claimed.handle as Handle;
    const released = settlement.status === 'released';
    const fields: Record<string, unknown> = released
      ? {}
      : {
          settled_at: now.toISOString(),
          ...(settlement.status === 'sent' ? { message_id: settlement.message_id } : {}),
          ...(settlement.status === 'suppressed' ? { suppression_reason: settlement.reason } : {}),
        };
    const names = Object.keys(fields);
    const set = ['#status = :status', ...names.map((_, i) => `#f${i} = :f${i}`)].join(', ');
    await this.#table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.#table.name,
              Key: { pk: item.pk, sk: item.sk },
              UpdateExpression: `SET ${set}${released ? ' REMOVE claim_id, claimed_at' : ''}`,
              ConditionExpression: 'claim_id = :claim',
              ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(names.map((n, i) => [`#f${i}`, n])) },
              ExpressionAttributeValues: {
                ':status': released ? 'pending' : settlement.status,
                ':claim': claimId,
                ...Object.fromEntries(names.map((n, i) => [`:f${i}`, fields[n]])),
              },
            },
          },
        ],
      }),
    );
  }
}
