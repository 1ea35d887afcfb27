import { ConditionFailedError } from '../errors.js';
import { keys } from './keys.js';
import type { Table } from './table.js';

/** One limit as counted: at most `max` times per `windowSeconds`, per subject. */
export type RateLimit = Readonly<{ name: string; max: number; windowSeconds: number }>;

/** A slot taken in one window: what `giveBack` needs to return it to the same window. */
export type Slot = Readonly<{ name: string; subject: string | number; windowStart: number }>;

export type Taken =
  | { allowed: true; slot: Slot }
  /** Whole seconds until this window ends and the next one starts empty. */
  | { allowed: false; retryAfterSeconds: number };

/**
 * Fixed-window counters (`LIMIT#<name>#<subject>` / `WINDOW#<start>`), one item per subject and window,
 * expiring with the window (TTL). Taking a slot is one conditional UpdateItem (`hits < max`), so any
 * number of concurrent takers across any number of containers get exactly `max` slots, with no read
 * first. A refused take writes nothing, and the next window is a new item: refusals never push the
 * limit further out. Windows are aligned to the epoch (a user's hour is the clock's hour).
 */
export class RateLimitStore {
  constructor(
    private readonly table: Table,
    /** Epoch milliseconds; injectable so tests can move time. */
    private readonly now: () => number = Date.now,
  ) {}

  async take(limit: RateLimit, subject: string | number): Promise<Taken> {
    const nowSeconds = this.now() / 1000;
    const windowStart = Math.floor(nowSeconds / limit.windowSeconds) * limit.windowSeconds;
    const windowEnd = windowStart + limit.windowSeconds;
    try {
      await this.table.update(
        keys.rateWindow(limit.name, subject, windowStart),
        {
          expression: 'SET expiresAt = :end ADD hits :one',
          values: { ':end': windowEnd, ':one': 1 },
        },
        { expression: 'attribute_not_exists(hits) OR hits < :max', values: { ':max': limit.max } },
      );
      return { allowed: true, slot: { name: limit.name, subject, windowStart } };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(windowEnd - nowSeconds)) };
    }
  }

  /**
   * Returns a slot whose action did not happen (it failed after the slot was taken), to the window it
   * was taken in. Never below zero; a window that is over (or gone) is left alone.
   */
  async giveBack(slot: Slot): Promise<void> {
    try {
      await this.table.update(
        keys.rateWindow(slot.name, slot.subject, slot.windowStart),
        { expression: 'ADD hits :minus', values: { ':minus': -1 } },
        { expression: 'hits > :zero', values: { ':zero': 0 } },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}
