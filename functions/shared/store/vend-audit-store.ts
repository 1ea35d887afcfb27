import { keys } from './keys.js';
import type { Table } from './table.js';

/** Audit items outlive the tokens they describe by far (tokens live an hour at most). */
export const VEND_AUDIT_TTL_SECONDS = 400 * 24 * 3600;

/** One token handed to a platform back-end, as audited: never the token, only its SHA-256. */
export type VendIssue = {
  tokenSha256: string;
  issuedAt: string;
  requestId: string;
  accountId: string;
  /** The caller's role ARN (`arn:aws:iam::<account>:role/<name>`). */
  principal: string;
  /** The service access policy that granted it. */
  policyId: string;
  installationId: number;
  /** `owner/name`, lower-case. */
  repositories: string[];
  permissions: Record<string, 'read' | 'write'>;
  /** GitHub's expiry of the token (ISO 8601). */
  tokenExpiresAt: string;
};

/**
 * A principal a token was issued to, as revocation needs it: one item per (token, principal), rewritten
 * by each issue to it (a cached token's scope, installation and expiry are the same for every issue).
 */
export type VendHolder = {
  tokenSha256: string;
  principal: string;
  /** The account of the latest issue to the principal (two accounts may share a cached token). */
  accountId: string;
  installationId: number;
  /** The token's scope as the token cache keys it (lower-case names, sorted). */
  repositoryNames: string[];
  permissions: Record<string, 'read' | 'write'>;
  /** The expiry answered (a dedicated token's: its revocation due time). */
  tokenExpiresAt: string;
};

export type VendRevocation = {
  tokenSha256: string;
  revokedAt: string;
  requestId: string;
  /** The revoking caller's role ARN. */
  revoker: string;
  installationId: number;
  /** `revoked`: GitHub revoked it now; `already_invalid`: GitHub no longer accepted it (expired, revoked). */
  outcome: 'revoked' | 'already_invalid';
};

/**
 * The audit of vended tokens (`VEND#<sha256 hex>`): `ISSUE#<issuedAt>#<requestId>` per issue,
 * `HOLDER#<principal>` per principal it was issued to and `REVOKE#<revokedAt>` per revocation. The
 * partition is the token's digest, so the token itself is never stored. A cached token is issued again
 * and again within its hour (thousands of issue items for a busy role): revocation reads the caller's
 * holder item alone, so its cost does not grow with them.
 */
export class VendAuditStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => number = Date.now,
  ) {}

  private ttl(): number {
    return Math.floor(this.now() / 1000) + VEND_AUDIT_TTL_SECONDS;
  }

  /**
   * The issue item and the principal's holder item, in one batch request. The holder lives as long as
   * the issue items (the audit's TTL), so revoking an expired token is still answered as before (204).
   */
  async recordIssue(issue: VendIssue, scope: { repositoryNames: readonly string[] }): Promise<void> {
    const expiresAt = this.ttl();
    const holder: VendHolder = {
      tokenSha256: issue.tokenSha256,
      principal: issue.principal,
      accountId: issue.accountId,
      installationId: issue.installationId,
      repositoryNames: [...scope.repositoryNames],
      permissions: issue.permissions,
      tokenExpiresAt: issue.tokenExpiresAt,
    };
    await this.table.batchPut([
      {
        ...keys.vendIssue(issue.tokenSha256, issue.issuedAt, issue.requestId),
        kind: 'issue',
        ...issue,
        expiresAt,
      },
      { ...keys.vendHolder(issue.tokenSha256, issue.principal), kind: 'holder', ...holder, expiresAt },
    ]);
  }

  /**
   * The principal's holder item of the token, if it was issued to it: one strongly consistent read (a
   * token just issued can be revoked at once), whatever the number of issues.
   */
  async holder(tokenSha256: string, principal: string): Promise<VendHolder | undefined> {
    const item = await this.table.get(keys.vendHolder(tokenSha256, principal), { consistent: true });
    if (!item) return undefined;
    return {
      tokenSha256: String(item.tokenSha256),
      principal: String(item.principal),
      accountId: String(item.accountId),
      installationId: Number(item.installationId),
      repositoryNames: Array.isArray(item.repositoryNames) ? item.repositoryNames.map(String) : [],
      permissions: (item.permissions ?? {}) as Record<string, 'read' | 'write'>,
      tokenExpiresAt: String(item.tokenExpiresAt),
    };
  }

  async recordRevocation(revocation: VendRevocation): Promise<void> {
    await this.table.put({
      ...keys.vendRevoke(revocation.tokenSha256, revocation.revokedAt),
      kind: 'revoke',
      ...revocation,
      expiresAt: this.ttl(),
    });
  }
}
