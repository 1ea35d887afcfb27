import { ForbiddenError } from '../shared/errors.js';
import { inScope } from '../shared/installations/repository-scope.js';
import { principalMatches } from '../shared/service-access/principal.js';
import type { InstallationDetails, Link } from '../shared/store/installation-store.js';
import type { ServiceAccessPolicy, TokenPermissionLevel } from '../shared/store/service-access-store.js';
import type { RequestedRepository, VendRequest } from './vend-request.js';

/** What a vending request is granted: one installation, exactly the repositories and permissions asked. */
export type Grant = {
  policy: ServiceAccessPolicy;
  installationId: number;
  /** The installation's account login as GitHub spells it. */
  owner: string;
  /** Bare lower-case names, sorted (one spelling per scope, so the token cache keys agree). */
  repositoryNames: string[];
  /** `owner/name`, lower-case, sorted. */
  repositories: string[];
  permissions: Record<string, TokenPermissionLevel>;
};

export type DecisionInput = {
  accountId: string;
  roleArn: string;
  platformAccount: string;
  policies: readonly ServiceAccessPolicy[];
  links: readonly Link[];
  installations: readonly InstallationDetails[];
  request: VendRequest;
};

const RANK: Readonly<Record<string, number>> = { read: 1, write: 2, admin: 3 };
/** Whether `granted` covers `wanted` (write covers read). */
const covers = (granted: string | undefined, wanted: string) =>
  granted !== undefined && (RANK[granted] ?? 0) >= (RANK[wanted] ?? Infinity);

/** A refusal on /service routes: 403 naming what was not granted (repositories as owner/name). */
export function refusal(
  code: string,
  message: string,
  notGranted: { repositories?: readonly string[]; permissions?: Record<string, string> } = {},
): ForbiddenError {
  return new ForbiddenError(code, message, {
    ...(notGranted.repositories?.length ? { repositories: [...notGranted.repositories] } : {}),
    ...(notGranted.permissions && Object.keys(notGranted.permissions).length
      ? { permissions: { ...notGranted.permissions } }
      : {}),
  });
}

const list = (names: readonly string[]) => names.join(', ');
const listPermissions = (permissions: Record<string, string>) =>
  Object.entries(permissions)
    .map(([name, level]) => `${name}:${level}`)
    .join(', ');

/** Whether a policy's tokens must live less than GitHub's hour (a dedicated token, revoked on time). */
export const limited = (
  policy: ServiceAccessPolicy,
): policy is ServiceAccessPolicy & { maxLifetimeMinutes: number } =>
  policy.maxLifetimeMinutes !== null && policy.maxLifetimeMinutes < 60;

/** A policy's token lifetime in minutes (null: GitHub's hour). */
const minutesOf = (policy: ServiceAccessPolicy) => policy.maxLifetimeMinutes ?? 60;

/** What one policy leaves out of the request. */
function shortfall(policy: ServiceAccessPolicy, request: VendRequest) {
  const granted = new Set(policy.repositories.map((name) => name.toLowerCase()));
  const repositories = request.repositories
    .filter((repository) => !granted.has(repository.fullName))
    .map((repository) => repository.fullName);
  const permissions = Object.fromEntries(
    Object.entries(request.permissions).filter(([name, level]) => !covers(policy.permissions[name], level)),
  );
  return { repositories, permissions, size: repositories.length + Object.keys(permissions).length };
}

/**
 * The vending decision (docs/token-vending.md "How vending decides"). Granted iff one policy of the
 * account names the caller's role and lists every requested repository and permission (at or above
 * the level asked); every repository is reachable through a linked, unsuspended installation of its
 * owner and inside that link's scope; all are on one installation; and the installation grants the
 * permissions. Otherwise 403 naming what is not granted. Pure: the caller reads, this decides.
 */
export function decide(input: DecisionInput): Grant {
  const { request } = input;
  const everything = {
    repositories: request.repositories.map((repository) => repository.fullName),
    permissions: request.permissions,
  };
  const policies = input.policies.filter((policy) =>
    principalMatches(policy.principal, input.roleArn, input.platformAccount),
  );
  if (policies.length === 0)
    throw refusal(
      'service_access_denied',
      `No service access policy of account ${input.accountId} names the role ${input.roleArn}.`,
      everything,
    );

  // The policy that covers the request, or the one that comes closest (its shortfall is the answer);
  // among covering ones, the longest lifetime first: what the account grants at most (and an hour's
  // token comes from the shared cache; a shorter one is dedicated and revoked on time, vend-token.ts).
  const ranked = policies
    .map((policy) => ({ policy, missing: shortfall(policy, request) }))
    .sort((a, b) => a.missing.size - b.missing.size || minutesOf(b.policy) - minutesOf(a.policy));
  const best = ranked[0];
  if (!best || best.missing.size > 0) {
    const missing = best?.missing ?? {
      repositories: everything.repositories,
      permissions: request.permissions,
    };
    const parts = [
      missing.repositories.length ? `repositories ${list(missing.repositories)}` : '',
      Object.keys(missing.permissions).length ? `permissions ${listPermissions(missing.permissions)}` : '',
    ].filter(Boolean);
    throw refusal(
      'outside_service_access_policy',
      `No service access policy for your role grants ${parts.join(' and ')}.`,
      missing,
    );
  }

  // Each repository through the link to its owner's installation, inside that link's scope.
  const linked = input.links.map((link) => ({
    link,
    details: input.installations.find((details) => details.id === link.installationId),
  }));
  const placed = request.repositories.map((repository) => ({
    repository,
    at: linked.find(
      ({ link, details }) =>
        details !== undefined &&
        details.accountLogin.toLowerCase() === repository.owner &&
        inScope(link.scope, repository.name),
    ),
  }));
  const outside = placed.filter((entry) => entry.at === undefined).map((entry) => entry.repository.fullName);
  if (outside.length > 0)
    throw refusal(
      'repository_not_in_scope',
      `Not reachable through account ${input.accountId}'s linked installations and their repository scopes: ${list(outside)}.`,
      { repositories: outside },
    );

  const byInstallation = new Map<number, RequestedRepository[]>();
  for (const { repository, at } of placed) {
    const id = at?.link.installationId ?? 0;
    byInstallation.set(id, [...(byInstallation.get(id) ?? []), repository]);
  }
  if (byInstallation.size > 1)
    throw refusal(
      'multiple_installations',
      `One token reaches one installation: ${[...byInstallation.values()]
        .map((group) => list(group.map((repository) => repository.fullName)))
        .join(' | ')} are on different installations. Ask for a token per installation.`,
      { repositories: everything.repositories },
    );

  const installation = placed[0]?.at?.details;
  if (!installation) throw refusal('repository_not_in_scope', 'No repository was asked for.', everything);
  if (installation.suspendedAt)
    throw refusal(
      'installation_suspended',
      `The GitHub App installation on ${installation.accountLogin} is suspended: nothing is vended until it is unsuspended.`,
      { repositories: everything.repositories },
    );

  const lacking = Object.fromEntries(
    Object.entries(request.permissions).filter(
      ([name, level]) => !covers(installation.permissions[name], level),
    ),
  );
  if (Object.keys(lacking).length > 0)
    throw refusal(
      'insufficient_installation_permissions',
      `The App's installation on ${installation.accountLogin} does not grant ${listPermissions(lacking)}.`,
      { permissions: lacking },
    );

  return {
    policy: best.policy,
    installationId: installation.id,
    owner: installation.accountLogin,
    repositoryNames: request.repositories.map((repository) => repository.name).sort(),
    repositories: everything.repositories,
    permissions: request.permissions,
  };
}
