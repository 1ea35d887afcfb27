import { randomUUID } from 'node:crypto';
import { ConditionFailedError } from '../errors.js';
import { keys, keyToString } from './keys.js';
import type { Table, TransactOperation } from './table.js';

export type UserProfile = { id: number; login: string; name: string | null; avatarUrl: string | null };

/** A user's token pair as stored: token fields hold AES-GCM ciphertexts, never plaintext. */
export type StoredUserToken = {
  sealedAccessToken: string;
  sealedRefreshToken: string | undefined;
  /** Epoch ms; undefined for Apps with expiring user tokens turned off. */
  accessExpiresAt: number | undefined;
  refreshExpiresAt: number | undefined;
  version: number;
  leaseId: string | undefined;
  leaseUntil: number | undefined;
};

export type TokenPairInput = Omit<StoredUserToken, 'version' | 'leaseId' | 'leaseUntil'>;

type TokenItem = {
  PK: string;
  SK: string;
  accessToken: string;
  refreshToken?: string;
  accessExpiresAt?: number;
  refreshExpiresAt?: number;
  version: number;
  leaseId?: string;
  leaseUntil?: number;
  expiresAt?: number;
  updatedAt: string;
};

function toStored(item: TokenItem): StoredUserToken {
  return {
    sealedAccessToken: item.accessToken,
    sealedRefreshToken: item.refreshToken,
    accessExpiresAt: item.accessExpiresAt,
    refreshExpiresAt: item.refreshExpiresAt,
    version: item.version,
    leaseId: item.leaseId,
    leaseUntil: item.leaseUntil,
  };
}

/** Profiles and token pairs of signed-in users (`USER#<id>`). */
export class UserStore {
  constructor(private readonly table: Table) {}

  /** What a token ciphertext is bound to: its item and field. */
  static tokenBinding(userId: number, field: 'access' | 'refresh'): string {
    return `${keyToString(keys.userToken(userId))}#${field}`;
  }

  /** Keyed by id only: logins change hands on GitHub, so nothing finds a user by login here. */
  async putProfile(profile: UserProfile): Promise<void> {
    await this.table.put({
      ...keys.userProfile(profile.id),
      ...profile,
      updatedAt: new Date().toISOString(),
    });
  }

  async getProfile(userId: number): Promise<UserProfile | undefined> {
    const item = await this.table.get(keys.userProfile(userId));
    if (!item) return undefined;
    return {
      id: Number(item.id),
      login: String(item.login),
      name: (item.name as string | null) ?? null,
      avatarUrl: (item.avatarUrl as string | null) ?? null,
    };
  }

  async getToken(userId: number): Promise<StoredUserToken | undefined> {
    const item = await this.table.get<TokenItem & Record<string, unknown>>(keys.userToken(userId));
    return item ? toStored(item) : undefined;
  }

  /** A fresh sign-in: replaces whatever pair was stored and moves the version on. */
  async replaceToken(userId: number, pair: TokenPairInput): Promise<void> {
    const current = await this.table.get<TokenItem & Record<string, unknown>>(keys.userToken(userId));
    await this.table.put(this.tokenItem(userId, pair, (current?.version ?? 0) + 1));
  }

  /**
   * Takes the refresh lease if nobody holds a live one and the pair is still at `version`.
   * Returns the lease id, or undefined when another caller holds it or the pair moved on.
   */
  async acquireRefreshLease(
    userId: number,
    version: number,
    nowMs: number,
    leaseMs: number,
  ): Promise<string | undefined> {
    const leaseId = randomUUID();
    try {
      await this.table.update(
        keys.userToken(userId),
        {
          expression: 'SET leaseId = :lease, leaseUntil = :until',
          values: { ':lease': leaseId, ':until': nowMs + leaseMs },
        },
        {
          expression: 'version = :version AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          values: { ':version': version, ':now': nowMs },
        },
      );
      return leaseId;
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
  }

  /** Writes the refreshed pair, only if this caller still holds the lease on the version it read. */
  async completeRefresh(
    userId: number,
    leaseId: string,
    version: number,
    pair: TokenPairInput,
  ): Promise<void> {
    await this.table.put(this.tokenItem(userId, pair, version + 1), {
      expression: 'leaseId = :lease AND version = :version',
      values: { ':lease': leaseId, ':version': version },
    });
  }

  /** Gives the lease back without changing the pair (GitHub failed; someone may try again). */
  async releaseRefreshLease(userId: number, leaseId: string): Promise<void> {
    try {
      await this.table.update(
        keys.userToken(userId),
        { expression: 'REMOVE leaseId, leaseUntil' },
        { expression: 'leaseId = :lease', values: { ':lease': leaseId } },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /** Deletes the pair; with `leaseId`, only while this caller holds the lease. */
  async deleteToken(userId: number, leaseId?: string): Promise<void> {
    try {
      await this.table.delete(
        keys.userToken(userId),
        leaseId ? { expression: 'leaseId = :lease', values: { ':lease': leaseId } } : undefined,
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /**
   * The user revoked the App's authorization: their token is deleted with `alongside` (the event that
   * reports it) in one transaction. False, writing nothing, when no token was stored (already removed:
   * a redelivery, or a user the service holds no authorization of).
   */
  async revokeToken(userId: number, alongside: readonly TransactOperation[]): Promise<boolean> {
    try {
      await this.table.transactWrite([
        { delete: keys.userToken(userId), condition: { expression: 'attribute_exists(PK)' } },
        ...alongside,
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  private tokenItem(userId: number, pair: TokenPairInput, version: number) {
    return {
      ...keys.userToken(userId),
      accessToken: pair.sealedAccessToken,
      refreshToken: pair.sealedRefreshToken,
      accessExpiresAt: pair.accessExpiresAt,
      refreshExpiresAt: pair.refreshExpiresAt,
      version,
      // DynamoDB removes the item once the refresh token is dead too (reads check it themselves).
      expiresAt: pair.refreshExpiresAt === undefined ? undefined : Math.floor(pair.refreshExpiresAt / 1000),
      updatedAt: new Date().toISOString(),
    };
  }
}
