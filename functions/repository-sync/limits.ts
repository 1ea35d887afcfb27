import { ConfigurationError } from '../shared/errors.js';
import { SYNC_LIMITS, type SyncLimits } from './sync-installation.js';

let cached: SyncLimits | undefined;

/**
 * SYNC_LIMITS with the operator's reserve: `REPOSITORY_SYNC_RESERVE_PERCENT` (0-90, default 20) of the
 * installation's hourly limit is never spent by the reconciler.
 */
export function syncLimits(env: Record<string, string | undefined> = process.env): SyncLimits {
  if (cached && env === process.env) return cached;
  const raw = env.REPOSITORY_SYNC_RESERVE_PERCENT;
  const percent = raw === undefined || raw === '' ? 20 : Number(raw);
  if (!Number.isFinite(percent) || percent < 0 || percent > 90)
    throw new ConfigurationError(
      'REPOSITORY_SYNC_RESERVE_PERCENT must be a number from 0 to 90 (default 20)',
    );
  const limits = { ...SYNC_LIMITS, reserveRatio: percent / 100 };
  if (env === process.env) cached = limits;
  return limits;
}
