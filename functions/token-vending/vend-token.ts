import { createHash } from 'node:crypto';
import { AppError, ForbiddenError } from '../shared/errors.js';
import {
  cachedInstallationToken,
  dedicatedInstallationToken,
  RepositoryNotReachableError,
} from '../shared/github/app-auth.js';
import type { ServiceCaller } from '../shared/http/service-route.js';
import { abuseLimits } from '../shared/limits/abuse-limits.js';
import { logger } from '../shared/logger.js';
import { count, METRIC } from '../shared/metrics.js';
import { principalMatches } from '../shared/service-access/principal.js';
import { getServices } from '../shared/services.js';
import { decide, limited, refusal } from './decide.js';
import { dueStore, lifetimeExpiry } from './lifetime.js';
import type { VendRequest } from './vend-request.js';

export const tokenSha256 = (token: string) => createHash('sha256').update(token).digest('hex');

export type VendedToken = {
  token: string;
  expiresAt: string;
  installationId: number;
  repositories: string[];
  permissions: Record<string, 'read' | 'write'>;
};

/**
 * A 403 of a /service route is counted and logged (who, which account, why; never a token), so an
 * operator sees refusals spike (the `ServiceTokenRefusals` alarm) and who is refused.
 */
export function reportRefusal(error: unknown, fields: { principal: string; accountId?: string }): void {
  if (!(error instanceof ForbiddenError)) return;
  count(METRIC.serviceTokensRefused, { reason: error.code });
  logger.warn('Service token refused', { ...fields, reason: error.code, ...error.details });
}

/**
 * Vends an installation token to a platform back-end (docs/token-vending.md): the principal's throttle,
 * then the account's policies, links and installation details (three reads, whatever the size of the
 * organisation), the decision, the token from the shared cache (minted into it on a miss) or, for a
 * policy lifetime under an hour, a dedicated token due for revocation at its deadline (lifetime.ts),
 * and the audit items (the issue, the principal's holder item), written before the token is answered:
 * no token leaves unaudited.
 */
export async function vendToken(input: {
  caller: ServiceCaller;
  accountId: string;
  request: VendRequest;
  requestId: string;
}): Promise<VendedToken> {
  const { caller, accountId, request } = input;
  const { config, serviceAccess, installations, vendAudit } = getServices();
  const platformAccount = config.platformAwsAccountId;
  if (platformAccount === undefined)
    throw refusal(
      'service_access_disabled',
      'Token vending is off: the service has no PLATFORM_AWS_ACCOUNT_ID.',
    );
  await abuseLimits().take('serviceTokensPerMinute', caller.roleArn);

  const [policies, links] = await Promise.all([
    serviceAccess.list(accountId),
    installations.linksOfAccount(accountId),
  ]);
  // The details are read only when a policy names the caller (a stranger costs two reads).
  const named = policies.some((policy) =>
    principalMatches(policy.principal, caller.roleArn, platformAccount),
  );
  const details = named ? await installations.getManyDetails(links.map((link) => link.installationId)) : [];
  const grant = decide({
    accountId,
    roleArn: caller.roleArn,
    platformAccount,
    policies,
    links,
    installations: details,
    request,
  });

  // A policy lifetime under GitHub's hour: a dedicated token (never shared through the cache), revoked
  // at its deadline by the sweep (lifetime.ts). Otherwise the shared cache's token of the scope.
  const lifetime = limited(grant.policy) ? grant.policy.maxLifetimeMinutes : null;
  const scope = { permissions: grant.permissions, repositoryNames: grant.repositoryNames };
  let minted: { token: string; expiresAt: string };
  const issued = Date.now();
  try {
    minted =
      lifetime === null
        ? await cachedInstallationToken(grant.installationId, scope)
        : await dedicatedInstallationToken(grant.installationId, scope);
  } catch (error) {
    // GitHub would not narrow to these: one is not (or no longer) in the installation's selection.
    if (error instanceof RepositoryNotReachableError)
      throw refusal(
        'repository_not_reachable',
        `GitHub does not let the installation reach every one of ${grant.repositories.join(', ')}.`,
        { repositories: grant.repositories },
      );
    // On /service routes every refusal is a 403: a suspended installation (409 elsewhere) too.
    if (error instanceof AppError && error.code === 'installation_suspended')
      throw refusal('installation_suspended', error.message, { repositories: grant.repositories });
    throw error;
  }

  const sha256 = tokenSha256(minted.token);
  if (lifetime !== null) {
    const expiresAt = lifetimeExpiry(issued, lifetime, minted.expiresAt);
    // Due before it is answered: no dedicated token leaves without its revocation scheduled.
    await dueStore().add({
      dueAt: expiresAt,
      tokenSha256: sha256,
      installationId: grant.installationId,
      token: minted.token,
    });
    minted = { token: minted.token, expiresAt };
  }
  await vendAudit.recordIssue(
    {
      tokenSha256: sha256,
      issuedAt: new Date(issued).toISOString(),
      requestId: input.requestId,
      accountId,
      principal: caller.roleArn,
      policyId: grant.policy.id,
      installationId: grant.installationId,
      repositories: grant.repositories,
      permissions: grant.permissions,
      tokenExpiresAt: minted.expiresAt,
    },
    // The cache's key of the token: its revocation drops it there with one delete.
    { repositoryNames: grant.repositoryNames },
  );
  count(METRIC.serviceTokensVended);
  logger.info('Service token vended', {
    principal: caller.roleArn,
    accountId,
    installationId: grant.installationId,
    repositories: grant.repositories,
    permissions: grant.permissions,
    tokenSha256: sha256,
  });
  return {
    token: minted.token,
    expiresAt: minted.expiresAt,
    installationId: grant.installationId,
    repositories: grant.repositories,
    permissions: grant.permissions,
  };
}
