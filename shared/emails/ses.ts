import { GetSuppressedDestinationCommand, NotFoundException, type SESv2Client } from '@aws-sdk/client-sesv2';
import { normalizeAddress } from './domain.ts';
import type { SuppressionList } from './ports.ts';

// The SES account-level suppression list, read before a user's mail is queued.

export class SesSuppressionList implements SuppressionList {
  readonly #client: SESv2Client;
  constructor(client: SESv2Client) {
    this.#client = client;
  }

  async reason(address: string): Promise<string | undefined> {
    try {
      const out = await this.#client.send(new GetSuppressedDestinationCommand({ EmailAddress: normalizeAddress(address) }));
      return out.SuppressedDestination?.Reason ?? 'UNKNOWN';
    } catch (error) {
      if (error instanceof NotFoundException || (error as Error).name === 'NotFoundException') return undefined;
      throw error;
    }
  }
}
