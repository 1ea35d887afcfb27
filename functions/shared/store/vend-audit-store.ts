import { keys, prefixes } from './keys.js';
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
 * The audit of vended tokens (`VEND#<sha256 hex>`): `ISSUE#<issuedAt>#<requestId>` per issue and
 * `REVOKE#<revokedAt>` per revocation. The partition is the token's digest, so revocation finds the
 * token's issues with one query, and the token itself is never stored.
 */
export class VendAuditStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => number = Date.now,
  ) {}

  private ttl(): number {
    return Math.floor(this.now() / 1000) + VEND_AUDIT_TTL_SECONDS;
  }

  async recordIssue(issue: VendIssue): Promise<void> {
    await this.table.put({
      ...keys.vendIssue(issue.tokenSha256, issue.issuedAt, issue.requestId),
      kind: 'issue',
      ...issue,
      expiresAt: this.ttl(),
    });
  }

  /** Every issue of the token (strongly consistent: a token just issued can be revoked at once). */
  async issuesOf(tokenSha256: string): Promise<VendIssue[]> {
    // The token's partition (every item of it shares the PK).
    const { PK } = keys.vendIssue(tokenSha256, '', '');
    const items = await this.table.queryPartition(PK, prefixes.vendIssue, {
      consistent: true,
    });
    return items.map((item) => ({
      tokenSha256: String(item.tokenSha256),
      issuedAt: String(item.issuedAt),
      requestId: String(item.requestId),
      accountId: String(item.accountId),
      principal: String(item.principal),
      policyId: String(item.policyId),
      installationId: Number(item.installationId),
      repositories: Array.isArray(item.repositories) ? item.repositories.map(String) : [],
      permissions: (item.permissions ?? {}) as Record<string, 'read' | 'write'>,
      tokenExpiresAt: String(item.tokenExpiresAt),
    }));
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
