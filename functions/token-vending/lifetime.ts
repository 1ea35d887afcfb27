import { randomUUID } from 'node:crypto';
import { isGitHubStatus } from '../shared/github/github.js';
import { logger } from '../shared/logger.js';
import { getCrypto, getServices } from '../shared/services.js';
import { VendDueStore } from '../shared/store/vend-due-store.js';

/** Due items one sweep reads (one query): a backlog drains a page a minute, oldest first. */
export const SWEEP_PAGE = 25;

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
 * "Lifetimes"): at most `limit` due items, oldest first. Each is revoked at GitHub with the token
 * itself (401: already gone), audited (`REVOKE#…`, revoker `lifetime`) and its due item deleted. A
 * revocation GitHub fails otherwise (5xx, throttled) keeps its item for the next run.
 */
export async function sweepDueRevocations(
  options: { now?: number; limit?: number } = {},
): Promise<SweepSummary> {
  const { github, vendAudit } = getServices();
  const store = dueStore();
  const now = options.now ?? Date.now();
  const due = await store.due(now, options.limit ?? SWEEP_PAGE);
  const runId = randomUUID();
  const summary: SweepSummary = { revoked: 0, alreadyInvalid: 0, failed: 0, read: due.length };
  for (const item of due) {
    let outcome: 'revoked' | 'already_invalid' = 'already_invalid';
    if (item.token !== undefined) {
      try {
        await github('DELETE /installation/token', { headers: { authorization: `token ${item.token}` } });
        outcome = 'revoked';
      } catch (error) {
        if (!isGitHubStatus(error, 401)) {
          summary.failed += 1;
          logger.warn('Lifetime revocation failed, kept for the next run', {
            tokenSha256: item.tokenSha256,
            installationId: item.installationId,
            error: (error as Error).message,
          });
          continue;
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
    if (outcome === 'revoked') summary.revoked += 1;
    else summary.alreadyInvalid += 1;
  }
  if (due.length > 0) logger.info('Lifetime revocation run', { ...summary });
  return summary;
}
