import type { EventContext } from '#shared/kernel/events.ts';
import { connectCall, connectCallToDescribe, type ConnectContactEvent } from './domain.ts';
import type { ConnectAgents, ConnectContacts } from './ports.ts';
import { logProviderActivity, providerActorId, type LoggedActivity, type ProviderDeps } from './use-cases.ts';

// Amazon Connect's contact events as a use case: a DISCONNECTED voice contact of the configured
// instance is described (the event carries no customer number), and logged as a call once per
// ContactId (the claim on "call_ext#connect#<contact id>" is a conditional write).

export interface ConnectDeps extends ProviderDeps {
  contacts: ConnectContacts;
  agents: ConnectAgents;
  /** The configured instance's id: events of another instance are not ours to log. */
  instanceId: string;
}

/** What the consumer did with one event. */
export type ConnectOutcome =
  | { outcome: 'ignored'; reason: 'not_a_finished_call' | 'other_instance' | 'unknown_contact' | 'not_voice' }
  | ({ outcome: 'logged' } & LoggedActivity);

/**
 * Handles one contact event: anything but a DISCONNECTED voice contact of the instance is
 * ignored; otherwise DescribeContact gives the customer's number, the initiation method,
 * the timestamps and the agent, whose CRM user (if mapped) becomes the call's user. A
 * redelivered event finds its contact id claimed and logs nothing (created: false).
 */
export async function receiveConnectContactEvent(
  deps: ConnectDeps,
  ctx: Omit<EventContext, 'actor_id'>,
  event: ConnectContactEvent,
): Promise<ConnectOutcome> {
  const target = connectCallToDescribe(event);
  if (!target) return { outcome: 'ignored', reason: 'not_a_finished_call' };
  if (target.instanceId !== deps.instanceId) return { outcome: 'ignored', reason: 'other_instance' };
  // The claim is checked first: a redelivery costs one read, not a DescribeContact.
  const logged = await deps.calls.byExternalId('connect', target.contactId);
  if (logged) return { outcome: 'logged', kind: 'call', id: logged.id, created: false, matched: logged.resource_id !== null };
  const contact = await deps.contacts.describe(target.instanceId, target.contactId);
  if (!contact) return { outcome: 'ignored', reason: 'unknown_contact' };
  const activity = connectCall(target.contactId, contact, ctx.now);
  if (!activity) return { outcome: 'ignored', reason: 'not_voice' };
  const userId = contact.agentId ? await deps.agents.userOf(contact.agentId) : undefined;
  const result = await logProviderActivity(deps, { ...ctx, actor_id: providerActorId('connect') }, 'connect', activity, userId);
  return { outcome: 'logged', ...result };
}
