import type { Attendee } from '#shared/appointments/domain.ts';
import type { AppointmentRepository } from '#shared/appointments/ports.ts';
import type { PlannedInvitation, RsvpGrant } from './domain.ts';

/** A planned mail with whom it goes to (resolved when planned, so the sender reads no record). */
export interface AddressedInvitation extends PlannedInvitation {
  to: { address: string; name: string | null };
  /** The organizer as the mail names it: the owner's name. */
  organizer_name: string;
}

export interface InvitationStore {
  /**
   * Records each planned mail (pending) with its mail request (an outbox event), in one
   * transaction per mail; a mail planned before (a redelivered event) is left as it is.
   * @returns how many were new
   */
  plan(mails: AddressedInvitation[], sourceEventId: string): Promise<number>;
  /** What a token (by its hash) answers for, undefined when no mail carried it. */
  grant(tokenHash: string): Promise<RsvpGrant | undefined>;
}

/** Whom attendees are: their addresses and names, and users' wish for invitations. */
export interface AttendeeDirectory {
  /** The attendee's address and name: an outside address as given; a lead's, contact's or active user's e-mail; undefined without one. */
  address(attendee: Attendee): Promise<{ address: string; name: string | null } | undefined>;
  /** Whether the user wants invitations by e-mail (notification setting `appointment_invitation`). */
  wantsInvitations(userId: string): Promise<boolean>;
  /** A user's display name (the organizer's), undefined for an unknown user. */
  userName(userId: string): Promise<string | undefined>;
}

export interface InvitationDeps {
  appointments: Pick<AppointmentRepository, 'get' | 'update'>;
  store: InvitationStore;
  directory: AttendeeDirectory;
}
