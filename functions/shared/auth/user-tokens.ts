import { ConditionFailedError, ReauthorizationRequiredError, UpstreamError } from '../errors.js';
import type { TokenCipher } from '../crypto/token-cipher.js';
import { isGitHubStatus, oauthErrorCode, toUpstreamError } from '../github/github.js';
import { logger } from '../logger.js';
import { UserStore, type StoredUserToken, type TokenPairInput } from '../store/user-store.js';

/** What GitHub hands out on sign-in and on refresh. */
export type UserTokenPair = {
  token: string;
  refreshToken?: string | undefined;
  /** ISO timestamps, absent for Apps with expiring user tokens off. */
  expiresAt?: string | undefined;
  refreshTokenExpiresAt?: string | undefined;
};

export type UserTokenOptions = {
  users: UserStore;
  cipher: TokenCipher;
  /** Exchanges a refresh token at GitHub (single use: never called twice with the same one). */
  refresh: (refreshToken: string) => Promise<UserTokenPair>;
  loginUrl: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

/** Refresh this long before GitHub's expiry, so a token never dies mid-request. */
export const REFRESH_AHEAD_MS = 5 * 60 * 1000;
/** A refresh lease outlives the GitHub call it guards (8 s timeout); a crashed holder's lease lapses. */
export const LEASE_MS = 15_000;

/**
 * The one way every function gets a working user-to-server token. Refreshes ahead of expiry, or when
 * GitHub rejects the token, under a DynamoDB lease so that across all containers exactly one caller
 * spends the single-use refresh token; the others wait and read the new pair.
 */
export class UserTokens {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: UserTokenOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Stores the pair from a sign-in, encrypted and bound to the user's token item. */
  async store(userId: number, pair: UserTokenPair): Promise<void> {
    await this.options.users.replaceToken(userId, this.seal(userId, pair));
  }

  /**
   * A valid access token for the user. `rejected`: the token GitHub just answered 401 to; if it is
   * still the stored one, it is refreshed (once, whoever asks).
   */
  async get(userId: number, options: { rejected?: string } = {}): Promise<string> {
    const deadline = this.now() + LEASE_MS + 2000;
    for (let attempt = 0; ; attempt++) {
      const stored = await this.options.users.getToken(userId);
      if (!stored) throw this.reauthorization();
      const access = this.open(userId, 'access', stored.sealedAccessToken);
      const rejected = options.rejected !== undefined && access === options.rejected;
      const expiring =
        stored.accessExpiresAt !== undefined && stored.accessExpiresAt - this.now() < REFRESH_AHEAD_MS;
      if (!rejected && !expiring) return access;
      if (stored.sealedRefreshToken === undefined) {
        // Expiring tokens are off: nothing to refresh; a rejected token means the grant is gone.
        if (!rejected) return access;
        await this.options.users.deleteToken(userId);
        throw this.reauthorization();
      }
      if (stored.refreshExpiresAt !== undefined && stored.refreshExpiresAt <= this.now()) {
        await this.options.users.deleteToken(userId);
        throw this.reauthorization();
      }
      const lease = await this.options.users.acquireRefreshLease(
        userId,
        stored.version,
        this.now(),
        LEASE_MS,
      );
      if (lease) return this.refreshUnderLease(userId, stored, lease);
      if (this.now() > deadline) {
        throw new UpstreamError(
          'token_refresh_busy',
          'Refreshing the GitHub sign-in is taking too long. Try again.',
          {
            statusCode: 503,
            retryAfterSeconds: 2,
          },
        );
      }
      // Someone else is refreshing: wait a little, then read what they wrote.
      await this.sleep(Math.min(500, 25 * 1.6 ** attempt) * (0.5 + Math.random() / 2));
    }
  }

  /** Runs a GitHub call with the user's token; a 401 refreshes the token once and tries again. */
  async withToken<T>(userId: number, call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.get(userId);
    try {
      return await call(token);
    } catch (error) {
      if (!isGitHubStatus(error, 401)) throw error;
    }
    const fresh = await this.get(userId, { rejected: token });
    try {
      return await call(fresh);
    } catch (error) {
      if (isGitHubStatus(error, 401)) throw this.reauthorization();
      throw error;
    }
  }

  private async refreshUnderLease(userId: number, stored: StoredUserToken, lease: string): Promise<string> {
    const refreshToken = this.open(userId, 'refresh', stored.sealedRefreshToken ?? '');
    let pair: UserTokenPair;
    try {
      pair = await this.options.refresh(refreshToken);
    } catch (error) {
      const oauthError = oauthErrorCode(error);
      if (oauthError !== undefined) {
        // GitHub refused the refresh token (used, expired, revoked): the pair is worthless.
        logger.info('GitHub refused the refresh token', { userId, oauthError });
        await this.options.users.deleteToken(userId, lease);
        throw this.reauthorization();
      }
      await this.options.users.releaseRefreshLease(userId, lease);
      throw toUpstreamError(error, { unavailableAs503: true }) ?? error;
    }
    try {
      await this.options.users.completeRefresh(userId, lease, stored.version, this.seal(userId, pair));
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      // Our lease lapsed before we wrote: the new token is still valid for this request.
      logger.warn('Refresh lease lost before the new token pair was stored', { userId });
    }
    return pair.token;
  }

  private seal(userId: number, pair: UserTokenPair): TokenPairInput {
    const { cipher } = this.options;
    return {
      sealedAccessToken: cipher.encrypt(pair.token, UserStore.tokenBinding(userId, 'access')),
      sealedRefreshToken: pair.refreshToken
        ? cipher.encrypt(pair.refreshToken, UserStore.tokenBinding(userId, 'refresh'))
        : undefined,
      accessExpiresAt: pair.expiresAt ? Date.parse(pair.expiresAt) : undefined,
      refreshExpiresAt: pair.refreshTokenExpiresAt ? Date.parse(pair.refreshTokenExpiresAt) : undefined,
    };
  }

  private open(userId: number, field: 'access' | 'refresh', sealed: string): string {
    try {
      return this.options.cipher.decrypt(sealed, UserStore.tokenBinding(userId, field));
    } catch {
      // Sealed with a key this container does not hold (dropped, or not learned yet after a rotation):
      // a new sign-in writes a pair under the current key. The stored pair is kept, as another
      // container may still open it.
      logger.warn('Stored user token cannot be opened with the service keys', { userId, field });
      throw this.reauthorization();
    }
  }

  private reauthorization(): ReauthorizationRequiredError {
    return new ReauthorizationRequiredError(this.options.loginUrl);
  }
}
