import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Appointment, Attendee } from '#shared/appointments/domain.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { MAIL_REQUESTED_EVENT, mailKey, type MailRequest } from '#shared/mail/domain.ts';
import { tableKeys, tablePartitions } from '#shared/platform/dynamodb/partitions.ts';
import { outboxItem, type Item, type Key, type Table } from '#shared/platform/dynamodb/table.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { attendeeKeyOf, type RsvpGrant } from './domain.ts';
import type { InvitationMethod } from './itip.ts';
import type { AddressedInvitation, InvitationStore } from './ports.ts';

// Invitations on the single table. Each planned mail is an item of its appointment's
// invitation partition ("invitation#<appointment>" / "<sequence>#<method>#<attendee>"): what
// to send, to whom, the appointment as of that sequence, and the mail's fate (pending,
// sending, sent...), claimed by the mail-sender. Each RSVP token is an item named by its
// hash ("rsvp#<sha256>" / "rsvp"), written when its mail is composed. Both expire (TTL) a
// year after the appointment ends.

export const invitationPartition = tablePartitions<[appointmentId: string]>('invitation');
export const rsvpTokenKey = tableKeys<[tokenHash: string]>('rsvp', 'rsvp');

/** How long after the appointment's end its mails and links are kept (seconds). */
const KEEP_AFTER_END_SECONDS = 365 * 24 * 3600;

export type InvitationStatus = 'pending' | 'sending' | 'sent' | 'suppressed' | 'no_recipient';

/** A planned mail as stored. */
export interface InvitationItem {
  pk: string;
  sk: string;
  status: InvitationStatus;
  method: InvitationMethod;
  attendee_key: string;
  attendee: Attendee;
  to_address: string;
  to_name: string | null;
  organizer_name: string;
  appointment: Appointment;
  event_id: string;
  created_at: string;
  claim_id?: string;
  claimed_at?: string;
  message_id?: string;
}

/** The item key of one planned mail; also the mail request's `ref` ("<appointment>|<sk>"). */
export const invitationSk = (sequence: number, method: InvitationMethod, attendeeKey: string): string =>
  `${String(sequence).padStart(6, '0')}#${method}#${attendeeKey}`;
export const invitationRef = (appointmentId: string, sk: string): string => `${appointmentId}|${sk}`;
export function invitationKeyOfRef(ref: string): Key | undefined {
  const bar = ref.indexOf('|');
  return bar > 0 ? { pk: invitationPartition(ref.slice(0, bar)), sk: ref.slice(bar + 1) } : undefined;
}

/** When an appointment's mails and tokens expire (epoch seconds). */
export const expiresAt = (appointment: Pick<Appointment, 'end_at'>): number =>
  Math.floor(Date.parse(appointment.end_at) / 1000) + KEEP_AFTER_END_SECONDS;

/** The internal event asking the mail queue for one invitation (shared/mail). */
function invitationRequestedEvent(mail: AddressedInvitation, ref: string, sourceEventId: string): DomainEvent<MailRequest> {
  const data: MailRequest = {
    type: 'appointment_invitation',
    recipient_id: attendeeKeyOf(mail.attendee),
    ref,
    event_id: sourceEventId,
  };
  return {
    metadata: {
      event_id: newId(),
      event_type: MAIL_REQUESTED_EVENT,
      event_version: 1,
      occurred_at: new Date().toISOString(),
      actor_id: 'system',
      correlation_id: sourceEventId,
      resource_type: 'mail',
      resource_id: mailKey(data),
    },
    data,
  };
}

export class DynamoInvitationStore implements InvitationStore {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async plan(mails: AddressedInvitation[], sourceEventId: string): Promise<number> {
    let planned = 0;
    const now = Math.floor(Date.now() / 1000);
    for (const mail of mails) {
      const attendeeKey = attendeeKeyOf(mail.attendee);
      const key = {
        pk: invitationPartition(mail.appointment.id),
        sk: invitationSk(mail.appointment.sequence, mail.method, attendeeKey),
      };
      const item: InvitationItem & Item = {
        ...key,
        [tableSpec.kindAttribute]: 'invitation',
        [tableSpec.timeToLiveAttribute]: expiresAt(mail.appointment),
        status: 'pending',
        method: mail.method,
        attendee_key: attendeeKey,
        attendee: mail.attendee,
        to_address: mail.to.address,
        to_name: mail.to.name,
        organizer_name: mail.organizer_name,
        appointment: mail.appointment,
        event_id: sourceEventId,
        created_at: new Date().toISOString(),
      };
      const request = invitationRequestedEvent(mail, invitationRef(mail.appointment.id, key.sk), sourceEventId);
      try {
        await this.#table.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: this.#table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
              {
                Put: {
                  TableName: this.#table.name,
                  Item: outboxItem(request, now),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
        planned++;
      } catch (error) {
        // Planned before (a redelivery of the event): its mail is on its way or sent.
        if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed')
          continue;
        throw error;
      }
    }
    return planned;
  }

  async grant(tokenHash: string): Promise<RsvpGrant | undefined> {
    const item = await this.#table.get(rsvpTokenKey(tokenHash));
    if (!item || (typeof item.expires_at === 'number' && item.expires_at < Date.now() / 1000)) return undefined;
    return {
      appointment_id: item.appointment_id as string,
      attendee_key: item.attendee_key as string,
      sequence: item.sequence as number,
    };
  }
}
