import { randomBytes } from 'node:crypto';
import { BadRequestError, ConflictError, NotFoundError, ServiceUnavailableError } from '../shared/errors.js';
import { domainEvent, type EventOrigin } from '../shared/events/domain-event.js';
import { parsePermissions } from '../shared/service-access/permissions.js';
import { parsePrincipal } from '../shared/service-access/principal.js';
import { listed } from '../shared/service-access/listed.js';
import { parseRepositoryNames, repositoriesOutsideScope } from '../shared/service-access/repositories.js';
import { getServices } from '../shared/services.js';
import type { GitHubUser } from '../shared/store/account-store.js';
import type { ServiceAccessPolicy, StoredPolicy } from '../shared/store/service-access-store.js';
import { policyNotFound, type PolicyChangeInput, type PolicyInput } from './requests.js';

/** How many policies an account may hold (docs/token-vending.md "Service access policies"). */
export const SERVICE_ACCESS_LIMITS = { policiesPerAccount: 50 } as const;

/** A policy as the API answers it. */
export type PolicyView = Omit<ServiceAccessPolicy, 'accountId'>;

export const policyView = ({ accountId: _account, ...view }: ServiceAccessPolicy): PolicyView => view;

/** The fields an event carries of a policy (who made it and when are the event's own envelope). */
const eventPolicy = (policy: ServiceAccessPolicy) => ({
  id: policy.id,
  principal: policy.principal,
  repositories: policy.repositories,
  permissions: policy.permissions,
  maxLifetimeMinutes: policy.maxLifetimeMinutes,
});

type Changeable = Pick<
  ServiceAccessPolicy,
  'principal' | 'repositories' | 'permissions' | 'maxLifetimeMinutes'
>;

const accountNotFound = () => new NotFoundError('account_not_found', 'No such account.');

/** How often a change is tried again over a policy another request changed meanwhile. */
const ATTEMPTS = 3;
const busy = (cause: unknown) => new ServiceUnavailableError({ retryAfterSeconds: 1, cause });

/** The platform's AWS account, which every principal belongs to; without it nothing can be granted. */
function platformAccount(): string {
  const account = getServices().config.platformAwsAccountId;
  if (!account)
    throw new BadRequestError(
      'service_access_unavailable',
      'Service access is not available on this deployment: PLATFORM_AWS_ACCOUNT_ID (the AWS account of the platform’s back-ends) is not configured.',
    );
  return account;
}

function checkedPrincipal(value: string): string {
  const account = platformAccount();
  if (!parsePrincipal(value, account))
    throw new BadRequestError(
      'invalid_principal',
      `principal must be the ARN of an IAM role of the platform's AWS account, arn:aws:iam::${account}:role/<name>, or one ending in "*" for every role whose name starts with what precedes it (arn:aws:iam::${account}:role/build-*). Role paths are not accepted: the caller's identity does not carry them.`,
    );
  return value;
}

/** The repositories, named right and within the account's scope (400 naming those that are not). */
async function checkedRepositories(accountId: string, values: readonly string[]): Promise<string[]> {
  const names = parseRepositoryNames(values);
  const outside = await repositoriesOutsideScope(accountId, names);
  if (outside.length > 0)
    throw new BadRequestError(
      'repositories_out_of_scope',
      `Outside the account's scope (no installation linked to the account reaches them): ${listed(outside)}.`,
    );
  return names;
}

/** The account's name for the events (the route checked the membership; a gone account is 404). */
async function eventAccount(accountId: string) {
  const account = await getServices().accounts.get(accountId);
  if (!account) throw accountNotFound();
  return { id: account.id, name: account.name };
}

/** GET: the account's policies, oldest first. */
export async function listPolicies(accountId: string): Promise<PolicyView[]> {
  const policies = await getServices().serviceAccess.list(accountId);
  return policies
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    .map(policyView);
}

/**
 * POST: a new policy, checked field by field (principal, permissions, then the repositories against the
 * account's scope), written with service_access.granted; at most SERVICE_ACCESS_LIMITS per account.
 */
export async function createPolicy(input: {
  accountId: string;
  user: GitHubUser;
  body: PolicyInput;
  origin: EventOrigin;
}): Promise<PolicyView> {
  const { accountId, body } = input;
  const principal = checkedPrincipal(body.principal);
  const permissions = parsePermissions(body.permissions);
  const [account, repositories] = await Promise.all([
    eventAccount(accountId),
    checkedRepositories(accountId, body.repositories),
  ]);
  const now = new Date().toISOString();
  const policy: ServiceAccessPolicy = {
    id: randomBytes(10).toString('hex'),
    accountId,
    principal,
    repositories,
    permissions,
    maxLifetimeMinutes: body.maxLifetimeMinutes ?? null,
    createdBy: input.user.id,
    createdAt: now,
    updatedAt: now,
  };
  const granted = domainEvent('service_access.granted', input.origin, [accountId], {
    account,
    policy: eventPolicy(policy),
  });
  const result = await getServices().serviceAccess.create(policy, SERVICE_ACCESS_LIMITS.policiesPerAccount, [
    granted,
  ]);
  if (!result.created) {
    if (result.refusal === 'account_gone') throw accountNotFound();
    throw new ConflictError(
      'too_many_policies',
      `An account holds at most ${SERVICE_ACCESS_LIMITS.policiesPerAccount} service access policies: delete one, or widen one, first.`,
    );
  }
  return policyView(policy);
}

/** The fields of `next` that differ from `stored`, as they were in `stored`. */
function changedFields(stored: Changeable, next: Changeable): Partial<Changeable> {
  const previous: Partial<Changeable> = {};
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (stored.principal !== next.principal) previous.principal = stored.principal;
  if (!same(stored.repositories, next.repositories)) previous.repositories = stored.repositories;
  if (!same(stored.permissions, next.permissions)) previous.permissions = stored.permissions;
  if (stored.maxLifetimeMinutes !== next.maxLifetimeMinutes)
    previous.maxLifetimeMinutes = stored.maxLifetimeMinutes;
  return previous;
}

/**
 * PATCH: the fields given, checked as for a new policy, replace the stored ones over the version read,
 * with service_access.changed saying what changed (none, and nothing written, when nothing does).
 */
export async function updatePolicy(input: {
  accountId: string;
  policyId: string;
  body: PolicyChangeInput;
  origin: EventOrigin;
}): Promise<PolicyView> {
  const { accountId, policyId, body } = input;
  const store = getServices().serviceAccess;
  const fields: Partial<Changeable> = {};
  if (body.principal !== undefined) fields.principal = checkedPrincipal(body.principal);
  if (body.permissions !== undefined) fields.permissions = parsePermissions(body.permissions);
  if (body.maxLifetimeMinutes !== undefined) fields.maxLifetimeMinutes = body.maxLifetimeMinutes;
  const [stored, account, repositories] = await Promise.all([
    store.get(accountId, policyId),
    eventAccount(accountId),
    body.repositories === undefined ? undefined : checkedRepositories(accountId, body.repositories),
  ]);
  if (repositories !== undefined) fields.repositories = repositories;
  let current: StoredPolicy | undefined = stored;
  for (let attempt = 1; ; attempt++) {
    if (!current) throw policyNotFound();
    const next: ServiceAccessPolicy = { ...current.policy, ...fields };
    const previous = changedFields(current.policy, next);
    if (Object.keys(previous).length === 0) return policyView(current.policy);
    next.updatedAt = new Date().toISOString();
    const changed = domainEvent('service_access.changed', input.origin, [accountId], {
      account,
      policy: eventPolicy(next),
      previous,
    });
    if (await store.replace(next, current.version, [changed])) return policyView(next);
    if (attempt >= ATTEMPTS) throw busy(new Error('The policy kept changing'));
    current = await store.get(accountId, policyId);
  }
}

/** DELETE: the policy goes with service_access.revoked; 404 when there is none (a retry included). */
export async function deletePolicy(input: {
  accountId: string;
  policyId: string;
  origin: EventOrigin;
}): Promise<void> {
  const { accountId, policyId } = input;
  const store = getServices().serviceAccess;
  const [stored, account] = await Promise.all([store.get(accountId, policyId), eventAccount(accountId)]);
  let current: StoredPolicy | undefined = stored;
  for (let attempt = 1; ; attempt++) {
    if (!current) throw policyNotFound();
    const revoked = domainEvent('service_access.revoked', input.origin, [accountId], {
      account,
      policy: eventPolicy(current.policy),
    });
    if (await store.delete(accountId, policyId, current.version, [revoked])) return;
    if (attempt >= ATTEMPTS) throw busy(new Error('The policy kept changing'));
    current = await store.get(accountId, policyId);
  }
}
