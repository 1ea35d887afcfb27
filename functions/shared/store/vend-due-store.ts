import type { TokenCipher } from '../crypto/token-cipher.js';
import { keys, keyToString, prefixes } from './keys.js';
import type { Table } from './table.js';

/** A due item outlives its deadline by a day (TTL), in case the sweep is down for a while. */
export const VEND_DUE_TTL_SECONDS = 24 * 3600;

/** A dedicated vended token to revoke at `dueAt` (its policy's maxLifetimeMinutes). */
export type VendDue = {
  dueAt: string;
  tokenSha256: string;
  installationId: number;
  /** The token itself: GitHub revokes a token only when presented with it. */
  token: string;
};

/**
 * Revocations due (`VEND#DUE`, `DUE#<dueAt ISO>#<sha256>`): one partition sorted by deadline, so a sweep
 * reads the oldest first and stops at the first not yet due. The token is stored encrypted with the
 * service's TokenCipher, bound to the item's key (a sealed value copied to another item does not open).
 */
export class VendDueStore {
  constructor(
    private readonly table: Table,
    private readonly cipher: () => Promise<TokenCipher>,
  ) {}

  async add(due: VendDue): Promise<void> {
    const key = keys.vendDue(due.dueAt, due.tokenSha256);
    await this.table.put({
      ...key,
      kind: 'vend-due',
      dueAt: due.dueAt,
      tokenSha256: due.tokenSha256,
      installationId: due.installationId,
      value: (await this.cipher()).encrypt(due.token, keyToString(key)),
      expiresAt: Math.floor(Date.parse(due.dueAt) / 1000) + VEND_DUE_TTL_SECONDS,
    });
  }

  /**
   * At most `limit` items due at `now` or before, oldest first (one query of at most `limit` items). An
   * item whose token no longer decrypts (a retired key) comes back without a token: it can only be dropped.
   */
  async due(now: number, limit: number): Promise<Array<Omit<VendDue, 'token'> & { token?: string }>> {
    const { PK } = keys.vendDue('', '');
    const page = await this.table.queryPage({ pk: PK, skPrefix: prefixes.vendDue, limit, consistent: true });
    const cipher = await this.cipher();
    const nowIso = new Date(now).toISOString();
    return page.items
      .filter((item) => String(item.dueAt) <= nowIso)
      .map((item) => {
        const dueAt = String(item.dueAt);
        const tokenSha256 = String(item.tokenSha256);
        let token: string | undefined;
        try {
          token = cipher.decrypt(String(item.value), keyToString(keys.vendDue(dueAt, tokenSha256)));
        } catch {
          token = undefined;
        }
        return {
          dueAt,
          tokenSha256,
          installationId: Number(item.installationId),
          ...(token ? { token } : {}),
        };
      });
  }

  async remove(dueAt: string, tokenSha256: string): Promise<void> {
    await this.table.delete(keys.vendDue(dueAt, tokenSha256));
  }
}
