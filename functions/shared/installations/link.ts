import { getUserTokens } from '../auth/context.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { domainEvent, type EventOrigin } from '../events/domain-event.js';
import { requestRepositorySync } from '../repositories/request-sync.js';
import { getServices } from '../services.js';
import { InstallationDeletedError, type InstallationDetails } from '../store/installation-store.js';
import type { CommitPolicy } from '../repositories/commit-policy-settings.js';
import { fetchInstallation, userCanReach } from './github-installations.js';
import { assertMayLinkInstallation } from './link-policy.js';

export type InstallationView = {
  id: number;
  accessible: boolean;
  linked: boolean;
  account?: { login: string; type: 'User' | 'Organization'; avatarUrl: string | null };
  repositorySelection?: 'all' | 'selected';
  suspended?: boolean;
  /** GitHub left it out for this user: its organisation enforces SAML SSO and they must sign in there. */
  sso?: { required: true; url: string };
  /** Linked ones, where listed or set: who may commit through the link. */
  commitPolicy?: CommitPolicy;
};

export function installationView(
  details: InstallationDetails,
  linked: boolean,
  commitPolicy?: CommitPolicy,
): InstallationView {
  return {
    id: details.id,
    accessible: true,
    linked,
    account: { login: details.accountLogin, type: details.accountType, avatarUrl: details.accountAvatarUrl },
    repositorySelection: details.repositorySelection,
    suspended: details.suspendedAt !== null,
    ...(linked && commitPolicy ? { commitPolicy } : {}),
  };
}

/**
 * A linked installation GitHub did not list for this user because its organisation enforces SAML SSO
 * (it named the organisation's id in `X-GitHub-SSO: partial-results`): the stored details say which
 * installation that is. The url is the organisation's SSO page on GitHub (the partial-results header
 * carries none); after signing in there the user sees it as usual.
 */
export function ssoInstallationView(details: InstallationDetails, githubWebUrl: string): InstallationView {
  return {
    id: details.id,
    accessible: false,
    linked: true,
    account: { login: details.accountLogin, type: details.accountType, avatarUrl: details.accountAvatarUrl },
    sso: { required: true, url: `${githubWebUrl}/orgs/${encodeURIComponent(details.accountLogin)}/sso` },
  };
}

const notAccessible = () =>
  new ForbiddenError(
    'installation_not_accessible',
    'GitHub does not list this installation for you, so it cannot be linked. Install the App there first.',
  );

const deleted = () =>
  new NotFoundError('installation_deleted', 'The App was uninstalled from that GitHub account.');

/**
 * Stored details younger than this are trusted for a link: the webhook rewrites them on every change
 * GitHub reports (created, suspend, permissions, repositories, rename, delete; missed deliveries are
 * redelivered), so asking GitHub again would only repeat what is stored. Older ones are read afresh.
 */
export const STORED_DETAILS_MAX_AGE_MS = 24 * 3600 * 1000;

function isFresh(details: InstallationDetails | undefined): details is InstallationDetails {
  if (!details) return false;
  const age = Date.now() - Date.parse(details.updatedAt);
  return Number.isFinite(age) && age < STORED_DETAILS_MAX_AGE_MS;
}

/**
 * The installation, checked with the caller's own token: they reach it, and the link policy lets them
 * hand it to a platform account (org owner, or the personal account's user). An installation id from a
 * URL is never trusted by itself: GitHub answers the authorization check on every call. What the
 * installation *is* (its account) comes from the stored details when fresh (the webhook wrote them from
 * a signed delivery), else from GitHub (`GET /app/installations/{id}`).
 */
async function verifiedInstallation(
  userId: number,
  installationId: number,
  stored: InstallationDetails | undefined,
): Promise<{ details: InstallationDetails; fetched: boolean }> {
  if (isFresh(stored)) {
    try {
      await authorize(userId, installationId, stored);
      return { details: stored, fetched: false };
    } catch (error) {
      // Refused on what is stored: GitHub's own word decides (an account renamed with the event not
      // yet here), so a refusal is only ever final on details read just now.
      if (!(error instanceof ForbiddenError)) throw error;
    }
  }
  const details = await fetchInstallation(installationId);
  if (!details) throw notAccessible();
  await authorize(userId, installationId, details);
  return { details, fetched: true };
}

/** GitHub, asked with the caller's own token, confirms they may link this installation (or throws). */
async function authorize(userId: number, installationId: number, details: InstallationDetails) {
  const { github, config } = getServices();
  const tokens = await getUserTokens();
  await tokens.withToken(userId, async (userToken) => {
    await assertMayLinkInstallation({
      github,
      userToken,
      userId,
      installation: details,
      policy: config.linkPolicy,
    });
    // An organization owner reaches every installation of the organization; anyone else must show it.
    const ownerChecked = details.accountType === 'Organization' && config.linkPolicy === 'org-owners';
    if (!ownerChecked && !(await userCanReach(github, userToken, installationId))) throw notAccessible();
  });
}

/** An installation as events name it. */
const eventInstallation = (details: InstallationDetails) => ({
  id: details.id,
  accountLogin: details.accountLogin,
  accountType: details.accountType,
});

const accountNotFound = () => new NotFoundError('account_not_found', 'No such account.');

/**
 * Links an installation to an account once GitHub confirms the caller may (see verifiedInstallation);
 * details, link and installation.linked (the linking team's event, even for an installation other
 * accounts link too) are written in one transaction that fails if the installation was deleted meanwhile.
 * Idempotent: `created` is false when it was already linked, and then nothing is written unless the
 * details were read afresh from GitHub. `refresh`: GitHub said the installation changed (setup_action
 * =update), so stored details are not used.
 */
export async function linkVerifiedInstallation(input: {
  accountId: string;
  installationId: number;
  userId: number;
  refresh?: boolean;
  /** Who links it, and the request (installation.linked). */
  origin: EventOrigin;
}): Promise<{ created: boolean; details: InstallationDetails }> {
  const { installations, accounts } = getServices();
  // The account's name (for the event) is read beside the link's state: no extra round trip.
  const [stored, account] = await Promise.all([
    installations.linkState(input.accountId, input.installationId),
    accounts.get(input.accountId),
  ]);
  if (!account) throw accountNotFound();
  if (stored.deleted) throw deleted();
  const { details, fetched } = await verifiedInstallation(
    input.userId,
    input.installationId,
    input.refresh ? undefined : stored.details,
  );
  const store = getServices().installations;
  try {
    if (stored.linked && !fetched) return { created: false, details };
    const linked = domainEvent('installation.linked', input.origin, [input.accountId], {
      account: { id: account.id, name: account.name },
      installation: eventInstallation(details),
    });
    const { created } = await store.linkWithDetails(details, input.accountId, input.userId, {
      writeDetails: fetched,
      events: [linked],
    });
    // A new link: the reconciler indexes the installation (a repeated PUT of the link does not).
    if (created) await requestRepositorySync(input.installationId, 'linked');
    return { created, details };
  } catch (error) {
    if (error instanceof InstallationDeletedError) throw deleted();
    throw error;
  }
}

/**
 * Sets the commit policy of the account's link to the installation. Relaxing or restricting who commits
 * with the App's power is for whom GitHub trusts with the installation's account: the caller (an owner
 * of the platform account, checked by the route) must own the GitHub organisation (or be the personal
 * account's user), asked with their own token whatever the deployment's link policy.
 */
export async function setLinkCommitPolicy(input: {
  accountId: string;
  installationId: number;
  userId: number;
  policy: CommitPolicy;
}): Promise<InstallationView> {
  const store = getServices().installations;
  const state = await store.linkState(input.accountId, input.installationId);
  if (state.deleted) throw deleted();
  if (!state.linked) throw notLinked();
  const details = state.details ?? (await fetchInstallation(input.installationId));
  if (!details) throw notAccessible();
  const { github } = getServices();
  const tokens = await getUserTokens();
  await tokens.withToken(input.userId, (userToken) =>
    assertMayLinkInstallation({
      github,
      userToken,
      userId: input.userId,
      installation: details,
      policy: 'org-owners',
    }),
  );
  if (!(await store.setCommitPolicy(input.accountId, input.installationId, input.policy))) throw notLinked();
  return installationView(details, true, input.policy);
}

/**
 * Unlinks the installation from the account, with installation.unlinked in the same transaction; an
 * account that does not link it is answered alike (idempotent) and writes nothing. Without stored details
 * the installation is being deleted (its uninstall removes details and links, and reports
 * installation.deleted to every linked account): the link goes without an event of its own.
 */
export async function unlinkInstallation(input: {
  accountId: string;
  installationId: number;
  origin: EventOrigin;
}): Promise<{ unlinked: boolean }> {
  const { installations, accounts } = getServices();
  const [state, account] = await Promise.all([
    installations.linkState(input.accountId, input.installationId),
    accounts.get(input.accountId),
  ]);
  if (!account) throw accountNotFound();
  if (!state.linked) return { unlinked: false };
  const events = state.details
    ? [
        domainEvent('installation.unlinked', input.origin, [input.accountId], {
          account: { id: account.id, name: account.name },
          installation: eventInstallation(state.details),
        }),
      ]
    : [];
  return { unlinked: await installations.unlink(input.accountId, input.installationId, events) };
}

const notLinked = () =>
  new NotFoundError('installation_not_linked', 'This account does not link that installation.');

/**
 * setup_action=update: GitHub says the installation changed. Stored details are rewritten only for a
 * caller GitHub confirms may link it, and never for a deleted installation.
 */
export async function refreshVerifiedInstallation(
  userId: number,
  installationId: number,
): Promise<InstallationDetails> {
  if (await getServices().installations.isDeleted(installationId)) throw deleted();
  const { details } = await verifiedInstallation(userId, installationId, undefined);
  try {
    await getServices().installations.putDetails(details);
  } catch (error) {
    if (error instanceof InstallationDeletedError) throw deleted();
    throw error;
  }
  return details;
}
