import { ConditionFailedError } from '../errors.js';
import { keys } from './keys.js';
import { ITEM_ABSENT, type Table } from './table.js';

/**
 * Used OAuth states. The flow itself lives in a sealed cookie (nothing is written when sign-in starts);
 * the callback records the state's digest here so a callback URL works exactly once.
 */
export class OAuthStateStore {
  constructor(private readonly table: Table) {}

  async isUsed(stateDigest: string): Promise<boolean> {
    return (await this.table.get(keys.oauthState(stateDigest))) !== undefined;
  }

  /** Records the state as used; false when it already was (a replay). Kept until the flow would expire. */
  async markUsed(stateDigest: string, expiresAtSeconds: number): Promise<boolean> {
    try {
      await this.table.put(
        { ...keys.oauthState(stateDigest), usedAt: new Date().toISOString(), expiresAt: expiresAtSeconds },
        ITEM_ABSENT,
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }
}
