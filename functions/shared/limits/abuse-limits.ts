import type { AbuseLimitSettings } from '../config.js';
import { TooManyRequestsError } from '../errors.js';
import { logger } from '../logger.js';
import { count, METRIC } from '../metrics.js';
import { getServices } from '../services.js';
import { RateLimitStore, type RateLimit } from '../store/rate-limit-store.js';

/** The per-user rate limits (docs/security.md "Abuse limits"); the pending-invitations cap is a count. */
export type RateLimitName =
  | 'accountsPerHour'
  | 'invitationsPerHour'
  | 'signInsPerMinute'
  /** Per IAM principal (its role ARN), not per user: token vending (docs/token-vending.md). */
  | 'serviceTokensPerMinute';

/** The limit's name in the metric's `reason` and the log line. */
export type LimitReason =
  | 'accounts_per_hour'
  | 'invitations_per_hour'
  | 'sign_ins_per_minute'
  | 'pending_invitations'
  | 'service_tokens_per_minute';

const WHAT: Record<RateLimitName, string> = {
  accountsPerHour: 'accounts created',
  invitationsPerHour: 'invitations sent',
  signInsPerMinute: 'sign-ins',
  serviceTokensPerMinute: 'token requests',
};

/**
 * The service's abuse limits, held in the table so they hold across every container: how many accounts
 * and invitations a user may create per hour, how often they may sign in per minute, and (in
 * InvitationStore) how many invitations an account may have pending.
 */
export class AbuseLimits {
  private readonly limits: Record<RateLimitName, RateLimit>;

  constructor(
    private readonly store: RateLimitStore,
    readonly settings: AbuseLimitSettings,
  ) {
    this.limits = {
      accountsPerHour: { name: 'accounts', max: settings.accountsPerUserPerHour, windowSeconds: 3600 },
      invitationsPerHour: {
        name: 'invitations',
        max: settings.invitationsPerUserPerHour,
        windowSeconds: 3600,
      },
      signInsPerMinute: { name: 'sign-ins', max: settings.signInsPerUserPerMinute, windowSeconds: 60 },
      serviceTokensPerMinute: {
        name: 'service-tokens',
        max: settings.serviceTokensPerPrincipalPerMinute,
        windowSeconds: 60,
      },
    };
  }

  /**
   * Takes one slot of `limit` for the user (or, for service tokens, the principal's role ARN); over it,
   * TooManyRequestsError and nothing counted.
   */
  async take(limit: RateLimitName, userId: number | string): Promise<void> {
    const taken = await this.store.take(this.limits[limit], userId);
    if (!taken.allowed) throw this.refuse(limit, userId, taken.retryAfterSeconds);
  }

  /**
   * Runs `act` within the user's `limit`: a slot is taken first (over the limit: TooManyRequestsError,
   * `act` never runs) and given back when `act` throws, so only what happened is counted.
   */
  async within<T>(limit: RateLimitName, userId: number, act: () => Promise<T>): Promise<T> {
    const taken = await this.store.take(this.limits[limit], userId);
    if (!taken.allowed) throw this.refuse(limit, userId, taken.retryAfterSeconds);
    try {
      return await act();
    } catch (error) {
      await this.store.giveBack(taken.slot).catch((giveBackError: unknown) => {
        logger.warn('Could not give an abuse-limit slot back', { limit, error: giveBackError });
      });
      throw error;
    }
  }

  private refuse(
    limit: RateLimitName,
    subject: number | string,
    retryAfterSeconds: number,
  ): TooManyRequestsError {
    const max = this.limits[limit].max;
    const per = this.limits[limit].windowSeconds === 60 ? 'minute' : 'hour';
    abuseLimitReached(
      reasonOf(limit),
      typeof subject === 'number'
        ? { userId: subject, max, retryAfterSeconds }
        : { principal: subject, max, retryAfterSeconds },
    );
    return new TooManyRequestsError(
      `Too many ${WHAT[limit]}: at most ${max} per ${per}. Try again in ${retryAfterSeconds} s.`,
      retryAfterSeconds,
    );
  }
}

const REASONS: Readonly<Record<RateLimitName, LimitReason>> = {
  accountsPerHour: 'accounts_per_hour',
  invitationsPerHour: 'invitations_per_hour',
  signInsPerMinute: 'sign_ins_per_minute',
  serviceTokensPerMinute: 'service_tokens_per_minute',
};
const reasonOf = (limit: RateLimitName): LimitReason => REASONS[limit];

/** The operator's signal (docs/operations.md): one metric (by limit) and one WARN line per refusal. */
export function abuseLimitReached(
  reason: LimitReason,
  fields: { userId?: number; principal?: string; accountId?: string; max: number; retryAfterSeconds: number },
): void {
  count(METRIC.abuseLimitRefusals, { reason });
  logger.warn('Abuse limit reached', { limit: reason, ...fields });
}

let clock: () => number = Date.now;

/**
 * Tests only: the windows' clock (epoch milliseconds), e.g. running from the start of a window so
 * that a burst of requests never straddles two. Without an argument, the real clock again.
 */
export function setAbuseLimitClockForTests(now: () => number = Date.now): void {
  clock = now;
}

/** The limits over the container's table and configuration (plain objects: the clients are shared). */
export function abuseLimits(): AbuseLimits {
  const { table, config } = getServices();
  return new AbuseLimits(new RateLimitStore(table, () => clock()), config.abuseLimits);
}
