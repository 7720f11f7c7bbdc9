import { ConnectClient, DescribeContactCommand } from '@aws-sdk/client-connect';
import type { ConnectContactDetails } from './domain.ts';
import type { ConnectAgents, ConnectContacts } from './ports.ts';

// Amazon Connect through the AWS SDK (REST: GET /contacts/{InstanceId}/{ContactId}), and the
// agents' CRM users from the config's map (Connect user id → e-mail).

/** DescribeContact of the SDK's client (AWS_ENDPOINT_URL_CONNECT points it at the local stand-in). */
export class SdkConnectContacts implements ConnectContacts {
  private readonly client: ConnectClient;

  constructor(client: ConnectClient = new ConnectClient({})) {
    this.client = client;
  }

  async describe(instanceId: string, contactId: string): Promise<ConnectContactDetails | undefined> {
    let contact;
    try {
      ({ Contact: contact } = await this.client.send(
        new DescribeContactCommand({ InstanceId: instanceId, ContactId: contactId }),
      ));
    } catch (error) {
      // Connect keeps contacts 24 months; an unknown one is no call to log (an event of a contact gone).
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
    if (!contact) return undefined;
    const customer = contact.CustomerEndpoint;
    return {
      channel: contact.Channel ?? '',
      initiationMethod: contact.InitiationMethod ?? '',
      initiationTimestamp: contact.InitiationTimestamp?.toISOString(),
      disconnectTimestamp: contact.DisconnectTimestamp?.toISOString(),
      connectedToAgentTimestamp: contact.AgentInfo?.ConnectedToAgentTimestamp?.toISOString(),
      agentId: contact.AgentInfo?.Id,
      customerNumber: customer?.Type === 'TELEPHONE_NUMBER' ? (customer.Address ?? null) : null,
    };
  }
}

/**
 * The agents' users from a map of Connect user ids to CRM e-mails (config connect.agents),
 * each e-mail resolved through `idOfEmail` (the users' e-mail claims) once per container.
 */
export function configuredAgents(
  agents: Readonly<Record<string, string>>,
  idOfEmail: (email: string) => Promise<string | undefined>,
): ConnectAgents {
  const resolved = new Map<string, Promise<string | undefined>>();
  return {
    userOf(agentId) {
      const email = agents[agentId];
      if (!email) return Promise.resolve(undefined);
      let id = resolved.get(email);
      if (!id) {
        id = idOfEmail(email);
        // A failed read is not kept: the redelivery tries again.
        id.catch(() => resolved.delete(email));
        resolved.set(email, id);
      }
      return id;
    },
  };
}
