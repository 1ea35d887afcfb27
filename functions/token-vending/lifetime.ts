import { randomUUID } from 'node:crypto';
import { isGitHubStatus } from '../shared/github/github.js';
import { logger } from '../shared/logger.js';
import { getCrypto, getServices } from '../shared/services.js';
import { VendDueStore } from '../shared/store/vend-due-store.js';

/** Due items one query reads: a run reads pages until none is due or its time runs short. */
export const SWEEP_PAGE = 25;
/** Revocations at GitHub at once (each is one DELETE with the token itself). */
const SWEEP_CONCURRENCY = 4;
/** Time kept back at the end of a run: no page is started with less left. */
const SWEEP_RESERVE_MS = 5_000;

export function dueStore(): VendDueStore {
  return new VendDueStore(getServices().table, async () => (await getCrypto()).cipher);
}

/** The answered expiry: issue time + the policy's lifetime, never later than GitHub's own expiry. */
export function lifetimeExpiry(issuedAt: number, minutes: number, githubExpiresAt: string): string {
  return new Date(Math.min(issuedAt + minutes * 60_000, Date.parse(githubExpiresAt))).toISOString();
}

export type SweepSummary = { revoked: number; alreadyInvalid: number; failed: number; read: number };

/**
 * Revokes the dedicated vended tokens whose policy lifetime has run out (docs/token-vending.md
 * "Lifetimes"), oldest first, a page of `limit` due items at a time until none is left or the run's
 * time runs short (`remainingMs`), so a burst of due tokens is not revoked late. Each is revoked at
 * GitHub with the token itself (401: already gone), audited (`REVOKE#…`, revoker `lifetime`) and its due
 * item deleted. A revocation GitHub fails otherwise (5xx, throttled) keeps its item for the next run,
 * which this run then leaves to (the next page would read it again).
 */
export async function sweepDueRevocations(
  options: { now?: number; limit?: number; remainingMs?: () => number } = {},
): Promise<SweepSummary> {
  const store = dueStore();
  const now = options.now ?? Date.now();
  const limit = options.limit ?? SWEEP_PAGE;
  const runId = randomUUID();
  const summary: SweepSummary = { revoked: 0, alreadyInvalid: 0, failed: 0, read: 0 };
  for (;;) {
    const due = await store.due(now, limit);
    summary.read += due.length;
    for (let index = 0; index < due.length; index += SWEEP_CONCURRENCY) {
      const outcomes = await Promise.all(
        due.slice(index, index + SWEEP_CONCURRENCY).map((item) => revokeDue(store, item, runId)),
      );
      for (const outcome of outcomes) summary[outcome] += 1;
    }
    const more = due.length === limit && summary.failed === 0;
    if (!more || (options.remainingMs?.() ?? Infinity) < SWEEP_RESERVE_MS) break;
  }
  if (summary.read > 0) logger.info('Lifetime revocation run', { ...summary });
  return summary;
}

/** One due token: revoked at GitHub, audited and its item dropped; or kept when GitHub failed. */
async function revokeDue(
  store: VendDueStore,
  item: Awaited<ReturnType<VendDueStore['due']>>[number],
  runId: string,
): Promise<'revoked' | 'alreadyInvalid' | 'failed'> {
  const { github, vendAudit } = getServices();
  let outcome: 'revoked' | 'already_invalid' = 'already_invalid';
  if (item.token !== undefined) {
    try {
      await github('DELETE /installation/token', { headers: { authorization: `token ${item.token}` } });
      outcome = 'revoked';
    } catch (error) {
      if (!isGitHubStatus(error, 401)) {
        logger.warn('Lifetime revocation failed, kept for the next run', {
          tokenSha256: item.tokenSha256,
          installationId: item.installationId,
          error: (error as Error).message,
        });
        return 'failed';
      }
    }
  }
  await vendAudit.recordRevocation({
    tokenSha256: item.tokenSha256,
    revokedAt: new Date().toISOString(),
    requestId: runId,
    revoker: 'lifetime',
    installationId: item.installationId,
    outcome,
  });
  await store.remove(item.dueAt, item.tokenSha256);
  return outcome === 'revoked' ? 'revoked' : 'alreadyInvalid';
}
