import { ConditionFailedError } from '../errors.js';
import { keys } from './keys.js';
import type { Table } from './table.js';

export type OAuthState = {
  /** `login`: sign in. `install`: coming back from installing the App for an account. */
  purpose: 'login' | 'install';
  returnTo: string;
  /** PKCE verifier, sealed with the token cipher. */
  sealedVerifier: string | undefined;
  /** For `install`: who asked and for which platform account. */
  userId?: number;
  accountId?: string;
};

/** Single-use OAuth states, stored under a keyed hash of the state value, 10 minutes at most. */
export class OAuthStateStore {
  constructor(private readonly table: Table) {}

  async create(stateHash: string, state: OAuthState, expiresAtSeconds: number): Promise<void> {
    await this.table.put({ ...keys.oauthState(stateHash), ...state, expiresAt: expiresAtSeconds });
  }

  /** Deletes the state and returns it, exactly once: a replay, an unknown or an expired state gives undefined. */
  async consume(stateHash: string, nowSeconds: number): Promise<OAuthState | undefined> {
    try {
      const item = await this.table.delete(keys.oauthState(stateHash), {
        expression: 'attribute_exists(PK) AND expiresAt > :now',
        values: { ':now': nowSeconds },
      });
      if (!item) return undefined;
      return {
        purpose: item.purpose === 'install' ? 'install' : 'login',
        returnTo: String(item.returnTo),
        sealedVerifier: typeof item.sealedVerifier === 'string' ? item.sealedVerifier : undefined,
        ...(typeof item.userId === 'number' ? { userId: item.userId } : {}),
        ...(typeof item.accountId === 'string' ? { accountId: item.accountId } : {}),
      };
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
  }
}
