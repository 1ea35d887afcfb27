import { forgetInstallationToken } from '../shared/github/app-auth.js';
import { isGitHubStatus, toUpstreamError } from '../shared/github/github.js';
import type { ServiceCaller } from '../shared/http/service-route.js';
import { abuseLimits } from '../shared/limits/abuse-limits.js';
import { logger } from '../shared/logger.js';
import { getServices } from '../shared/services.js';
import { refusal } from './decide.js';
import { dueStore } from './lifetime.js';
import { tokenSha256 } from './vend-token.js';

/**
 * Revokes a vended token at GitHub (`DELETE /installation/token`, authenticated by the token itself),
 * drops it from the shared token cache and audits the revocation. Only a principal the token was issued
 * to may revoke it (its holder item, found by the token's SHA-256 and the caller's role: one read, however
 * many times a shared cached token was issued); anyone else, or a token this service never vended, is
 * refused alike (403), so the answer tells nothing about other principals' tokens. A token GitHub no
 * longer accepts (expired, already revoked) is gone: the answer is the same 204.
 */
export async function revokeToken(input: {
  caller: ServiceCaller;
  token: string;
  requestId: string;
}): Promise<void> {
  const { caller, token } = input;
  const { vendAudit, github } = getServices();
  await abuseLimits().take('serviceTokensPerMinute', caller.roleArn);
  const sha256 = tokenSha256(token);
  const holder = await vendAudit.holder(sha256, caller.roleArn);
  if (!holder)
    throw refusal(
      'token_not_issued_to_caller',
      'This token was not vended to your role by this service: only a role it was issued to may revoke it.',
    );

  let outcome: 'revoked' | 'already_invalid' = 'revoked';
  try {
    await github('DELETE /installation/token', { headers: { authorization: `token ${token}` } });
  } catch (error) {
    if (!isGitHubStatus(error, 401)) throw toUpstreamError(error) ?? error;
    outcome = 'already_invalid';
  }
  // Whatever GitHub said, no later request may be answered with this token from the cache.
  await forgetInstallationToken(
    holder.installationId,
    { permissions: holder.permissions, repositoryNames: holder.repositoryNames },
    token,
  );
  // A dedicated token's revocation due at its lifetime is done now (its key: the expiry answered).
  await dueStore().remove(holder.tokenExpiresAt, sha256);
  await vendAudit.recordRevocation({
    tokenSha256: sha256,
    revokedAt: new Date().toISOString(),
    requestId: input.requestId,
    revoker: caller.roleArn,
    installationId: holder.installationId,
    outcome,
  });
  logger.info('Service token revoked', {
    principal: caller.roleArn,
    accountId: holder.accountId,
    installationId: holder.installationId,
    tokenSha256: sha256,
    outcome,
  });
}
