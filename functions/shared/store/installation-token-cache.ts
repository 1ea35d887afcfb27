import { createHash, randomUUID } from 'node:crypto';
import type { TokenCipher } from '../crypto/token-cipher.js';
import { ConditionFailedError } from '../errors.js';
import { keys, keyToString, prefixes } from './keys.js';
import type { Table } from './table.js';

/** Tokens are used until this long before GitHub's expiry. */
export const TOKEN_REUSE_MARGIN_MS = 5 * 60 * 1000;
const LEASE_MS = 15_000;

type CacheItem = {
  PK: string;
  SK: string;
  value?: string;
  tokenHash?: string;
  tokenExpiresAt?: number;
  leaseId?: string;
  leaseUntil?: number;
};

export type TokenCacheOptions = {
  table: Table;
  /** Resolved lazily: only installation tokens need the key material. */
  cipher: () => Promise<TokenCipher>;
  appId: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

const hashOf = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * The installation-token cache every Lambda container shares, plugged into @octokit/auth-app as its
 * `cache: { get, set }`. Values are encrypted and bound to their item. A miss takes a lease: that
 * caller mints (auth-app then calls `set`), the others wait and read what it wrote, so one token is
 * minted per installation and scope per hour across all containers.
 */
export class InstallationTokenCache {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Leases this container holds, by auth-app cache key. */
  private readonly held = new Map<string, string>();

  constructor(private readonly options: TokenCacheOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** auth-app's cache key starts with the installation id: `<id>|<repos>|<permissions>`. */
  private itemKey(cacheKey: string) {
    const installationId = cacheKey.split('|')[0] ?? '';
    return keys.installationToken(installationId, hashOf(`${this.options.appId}|${cacheKey}`).slice(0, 40));
  }

  /**
   * The cached token if one is fresh and readable, else undefined: one read, no lease, nothing minted.
   * Lets a caller read the cache alongside its other reads before it knows it will need the token.
   */
  async peek(cacheKey: string): Promise<string | undefined> {
    const key = this.itemKey(cacheKey);
    const item = await this.options.table.get<CacheItem & Record<string, unknown>>(key);
    if (!item?.value || (item.tokenExpiresAt ?? 0) - this.now() <= TOKEN_REUSE_MARGIN_MS) return undefined;
    try {
      return (await this.options.cipher()).decrypt(item.value, keyToString(key));
    } catch {
      return undefined;
    }
  }

  async get(cacheKey: string): Promise<string | undefined> {
    const key = this.itemKey(cacheKey);
    const deadline = this.now() + LEASE_MS + 2000;
    for (let attempt = 0; ; attempt++) {
      const item = await this.options.table.get<CacheItem & Record<string, unknown>>(key);
      let unreadable: string | undefined;
      if (item?.value && (item.tokenExpiresAt ?? 0) - this.now() > TOKEN_REUSE_MARGIN_MS) {
        try {
          return (await this.options.cipher()).decrypt(item.value, keyToString(key));
        } catch {
          // Sealed under a key this container does not hold (dropped, or not yet seen after a
          // rotation) or damaged: a cache is never worth a failed request, so mint again.
          unreadable = item.value;
        }
      }
      const leaseId = randomUUID();
      try {
        await this.options.table.update(
          key,
          {
            expression: 'SET leaseId = :lease, leaseUntil = :until',
            values: { ':lease': leaseId, ':until': this.now() + LEASE_MS },
          },
          {
            // Only while no fresh token is stored (another container may have written one since we
            // read), or while the fresh one is still the value we could not open.
            expression: `(attribute_not_exists(leaseUntil) OR leaseUntil < :now) AND (attribute_not_exists(tokenExpiresAt) OR tokenExpiresAt <= :fresh${unreadable === undefined ? '' : ' OR #value = :unreadable'})`,
            ...(unreadable === undefined ? {} : { names: { '#value': 'value' } }),
            values: {
              ':now': this.now(),
              ':fresh': this.now() + TOKEN_REUSE_MARGIN_MS,
              ...(unreadable === undefined ? {} : { ':unreadable': unreadable }),
            },
          },
        );
        this.held.set(cacheKey, leaseId);
        return undefined; // ours to mint
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
      // Another container is minting this token: wait for it (or for its lease to lapse).
      if (this.now() > deadline) return undefined;
      await this.sleep(Math.min(400, 20 * 1.6 ** attempt) * (0.5 + Math.random() / 2));
    }
  }

  async set(cacheKey: string, value: string): Promise<void> {
    const key = this.itemKey(cacheKey);
    const [token = '', , expiresAt = ''] = value.split('|');
    const tokenExpiresAt = Date.parse(expiresAt);
    // Writing the item whole also drops the lease.
    await this.options.table.put({
      ...key,
      value: (await this.options.cipher()).encrypt(value, keyToString(key)),
      tokenHash: hashOf(token),
      tokenExpiresAt,
      expiresAt: Math.floor(tokenExpiresAt / 1000),
    });
    this.held.delete(cacheKey);
  }

  /** Minting failed: give the lease back so another caller can try at once. */
  async release(cacheKey: string): Promise<void> {
    const leaseId = this.held.get(cacheKey);
    if (!leaseId) return;
    this.held.delete(cacheKey);
    try {
      await this.options.table.update(
        this.itemKey(cacheKey),
        { expression: 'REMOVE leaseId, leaseUntil' },
        { expression: 'leaseId = :lease', values: { ':lease': leaseId } },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /**
   * This token was revoked: forget it under its own scope's item (one conditional delete, no read), if
   * that item still holds it (a token minted since for the scope stays).
   */
  async forget(cacheKey: string, token: string): Promise<void> {
    try {
      await this.options.table.delete(this.itemKey(cacheKey), {
        expression: 'tokenHash = :hash',
        values: { ':hash': hashOf(token) },
      });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}

/** Drops every cached token of an installation (deleted, suspended, permissions changed). */
export async function deleteInstallationTokens(table: Table, installationId: number): Promise<number> {
  const items = await table.queryPartition(keys.installation(installationId).PK, prefixes.installationToken);
  for (const item of items) await table.delete({ PK: item.PK, SK: item.SK });
  return items.length;
}
