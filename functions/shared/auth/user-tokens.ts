import { ConditionFailedError, ReauthorizationRequiredError, UpstreamError } from '../errors.js';
import type { TokenCipher } from '../crypto/token-cipher.js';
import { isGitHubStatus, oauthErrorCode, toUpstreamError, unanswered } from '../github/github.js';
import { logger } from '../logger.js';
import { count, METRIC } from '../metrics.js';
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
/**
 * The refresh call's own timeout (other GitHub calls: 8 s). GitHub rotates before it answers, so a slow
 * answer abandoned is a pair lost: wait for it, within what a Lambda behind API Gateway (30 s) can spend.
 */
export const REFRESH_TIMEOUT_MS = 12_000;
/** Time the lease keeps for storing the new pair after GitHub answered (the service's own retries). */
export const STORE_BUDGET_MS = 5_000;
/**
 * A refresh lease outlives the GitHub call it guards plus the writes of its result, so nobody else
 * spends the same refresh token while a live holder still may store the new one; a crashed holder's
 * lease lapses after this.
 */
export const LEASE_MS = REFRESH_TIMEOUT_MS + STORE_BUDGET_MS + 1000;
/** Writes of a new pair, each one SDK call with the SDK's own retries. */
const STORE_ATTEMPTS = 4;

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
      const acquiredAt = this.now();
      const lease = await this.options.users.acquireRefreshLease(
        userId,
        stored.version,
        acquiredAt,
        LEASE_MS,
      );
      if (lease) return this.refreshUnderLease(userId, stored, lease, acquiredAt + LEASE_MS);
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

  /**
   * Spends the refresh token and stores what GitHub gave. Every outcome leaves the lease released or
   * the pair replaced or deleted; the README tables what the user sees at each failure point.
   */
  private async refreshUnderLease(
    userId: number,
    stored: StoredUserToken,
    lease: string,
    leaseUntil: number,
  ): Promise<string> {
    const refreshToken = this.open(userId, 'refresh', stored.sealedRefreshToken ?? '');
    const pair = await this.spend(userId, refreshToken, lease, leaseUntil);
    await this.storeRefreshed(userId, stored.version, lease, leaseUntil, pair);
    return pair.token;
  }

  private async spend(
    userId: number,
    refreshToken: string,
    lease: string,
    leaseUntil: number,
  ): Promise<UserTokenPair> {
    for (let attempt = 1; ; attempt++) {
      try {
        const pair = await this.options.refresh(refreshToken);
        count(METRIC.tokenRefreshes);
        return pair;
      } catch (error) {
        const oauthError = oauthErrorCode(error);
        count(METRIC.tokenRefreshFailures, { reason: refreshFailureReason(error, oauthError) });
        if (oauthError !== undefined) {
          // GitHub refused the refresh token (used, expired, revoked): the pair is worthless.
          logger.info('GitHub refused the refresh token', { userId, oauthError });
          await this.dropPair(userId, lease);
          throw this.reauthorization();
        }
        const fate = unanswered(error);
        if (
          fate === 'lost' &&
          attempt === 1 &&
          leaseUntil - this.now() >= REFRESH_TIMEOUT_MS + STORE_BUDGET_MS
        ) {
          // A connection broken at once may never have carried the call (a kept-alive socket GitHub had
          // closed): the same token again settles it, a new pair or bad_refresh_token. Nobody else can
          // spend it meanwhile: we hold the lease.
          logger.warn('GitHub’s answer to the refresh was lost; trying once more', { userId });
          continue;
        }
        if (fate === 'lost' || fate === 'timed_out' || attempt > 1) {
          // Sent, unanswered (now or on the first try): GitHub has most likely rotated, and the stored
          // refresh token is spent. Saying so now beats a 503 whose retry would only spend a GitHub
          // call to get this 401.
          logger.warn('GitHub’s answer to the refresh was lost after the call went out', { userId, fate });
          await this.dropPair(userId, lease);
          throw this.reauthorization();
        }
        // Never sent, or GitHub answered with a failure: the refresh token is unspent; try again later.
        await this.release(userId, lease);
        throw toUpstreamError(error, { unavailableAs503: true }) ?? error;
      }
    }
  }

  /**
   * Writes the new pair, retrying while the lease is ours. If it cannot be stored, this request still
   * gets the fresh token, and the lease is given back so nobody waits for it to lapse.
   */
  private async storeRefreshed(
    userId: number,
    version: number,
    lease: string,
    leaseUntil: number,
    pair: UserTokenPair,
  ): Promise<void> {
    const sealed = this.seal(userId, pair);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.users.completeRefresh(userId, lease, version, sealed);
        return;
      } catch (error) {
        if (error instanceof ConditionFailedError) {
          // The lease lapsed and was taken (or an earlier attempt landed and its answer was lost).
          logger.warn('Refresh lease lost before the new token pair was stored', { userId, attempt });
          return;
        }
        const backoff = 100 * 2 ** attempt * (0.5 + Math.random() / 2);
        if (attempt >= STORE_ATTEMPTS || this.now() + backoff >= leaseUntil) {
          logger.error('The refreshed token pair could not be stored', {
            userId,
            attempt,
            errorName: (error as Error).name,
          });
          await this.release(userId, lease);
          return;
        }
        logger.warn('Storing the refreshed token pair failed; retrying', {
          userId,
          attempt,
          errorName: (error as Error).name,
        });
        await this.sleep(backoff);
      }
    }
  }

  /** Deletes the pair under our lease; if DynamoDB fails, the lease lapses and GitHub refuses again. */
  private async dropPair(userId: number, lease: string): Promise<void> {
    try {
      await this.options.users.deleteToken(userId, lease);
    } catch (error) {
      logger.warn('Deleting a spent token pair failed', { userId, errorName: (error as Error).name });
    }
  }

  /** Best effort: a lease not given back lapses by itself; the caller's own outcome matters more. */
  private async release(userId: number, lease: string): Promise<void> {
    try {
      await this.options.users.releaseRefreshLease(userId, lease);
    } catch (error) {
      logger.warn('Releasing the refresh lease failed', { userId, errorName: (error as Error).name });
    }
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
    count(METRIC.reauthorizationRequired);
    return new ReauthorizationRequiredError(this.options.loginUrl);
  }
}

/**
 * Why a refresh failed, from a small fixed set (a metric dimension): GitHub refused the refresh token,
 * throttled us, failed, or never answered.
 */
function refreshFailureReason(error: unknown, oauthError: string | undefined): string {
  if (oauthError !== undefined) return 'refused';
  const fate = unanswered(error);
  if (fate !== undefined) return fate;
  const upstream = toUpstreamError(error);
  if (upstream?.code === 'github_rate_limited') return 'rate_limited';
  return upstream === undefined ? 'error' : 'github_error';
}
