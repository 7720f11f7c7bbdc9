import { ConflictError } from '#shared/kernel/errors.ts';
import { tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import type { OAuthState } from './oauth.ts';
import type { OAuthStateStore } from './ports.ts';

// Started mailbox OAuth flows on the single table: "mailbox-oauth-state#<state>", expiring
// through the table's TTL attribute (DynamoDB deletes within days, so expiry is also checked).
// Taking one is a conditional delete: of two callbacks with one state, one wins.

export const oauthStateKey = tableKeys<[state: string]>('mailbox-oauth-state', 'mailbox-oauth-state');

/** A private marker of the lost condition (never leaves this adapter). */
class NotTaken extends ConflictError {}

export class DynamoOAuthStateStore implements OAuthStateStore {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async put(state: OAuthState): Promise<void> {
    await this.#table.write([
      {
        type: 'create',
        item: {
          ...oauthStateKey(state.state),
          kind: 'mailbox_oauth_state',
          ...state,
          [tableSpec.timeToLiveAttribute]: state.expires_at,
        },
      },
    ]);
  }

  async take(state: string, ownerId: string, nowSeconds: number): Promise<OAuthState | undefined> {
    const item = await this.#table.get(oauthStateKey(state), { consistent: true });
    if (!item || item.owner_id !== ownerId || Number(item.expires_at) <= nowSeconds) return undefined;
    try {
      await this.#table.write([
        {
          type: 'delete',
          key: oauthStateKey(state),
          condition: 'owner_id = :owner AND expires_at > :now',
          values: { ':owner': ownerId, ':now': nowSeconds },
          onConflict: () => new NotTaken('taken'),
        },
      ]);
    } catch (error) {
      if (error instanceof NotTaken) return undefined;
      throw error;
    }
    return {
      state,
      owner_id: String(item.owner_id),
      provider: String(item.provider),
      verifier: String(item.verifier),
      redirect_uri: String(item.redirect_uri),
      expires_at: Number(item.expires_at),
    };
  }
}
