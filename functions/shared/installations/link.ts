import { getUserTokens } from '../auth/context.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { domainEvent, type EventOrigin } from '../events/domain-event.js';
import { requestRepositorySync } from '../repositories/request-sync.js';
import { getServices } from '../services.js';
import {
  InstallationDeletedError,
  type InstallationDetails,
  type Link,
} from '../store/installation-store.js';
import { DEFAULT_COMMIT_POLICY, type CommitPolicy } from '../repositories/commit-policy-settings.js';
import { fetchInstallation, userCanReach } from './github-installations.js';
import { assertMayLinkInstallation, type LinkPolicy } from './link-policy.js';
import { scopeView, type RepositoryScope } from './repository-scope.js';

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
  /** Linked ones: the repositories the account reaches through the link; null: all the installation reaches. */
  scope?: RepositoryScope | null;
};

/** What a view shows of the account's link to an installation. */
export type LinkSettings = Pick<Link, 'commitPolicy' | 'scope'>;

const linkFields = (link: LinkSettings | undefined) =>
  link ? { commitPolicy: link.commitPolicy, scope: scopeView(link.scope) } : {};

export function installationView(
  details: InstallationDetails,
  linked: boolean,
  link?: LinkSettings,
): InstallationView {
  return {
    id: details.id,
    accessible: true,
    linked,
    account: { login: details.accountLogin, type: details.accountType, avatarUrl: details.accountAvatarUrl },
    repositorySelection: details.repositorySelection,
    suspended: details.suspendedAt !== null,
    ...(linked ? linkFields(link) : {}),
  };
}

/** A linked installation the caller does not reach on GitHub: only the id and the link's settings. */
export function unreachableInstallationView(installationId: number, link: LinkSettings): InstallationView {
  return { id: installationId, accessible: false, linked: true, ...linkFields(link) };
}

/**
 * A linked installation GitHub did not list for this user because its organisation enforces SAML SSO
 * (it named the organisation's id in `X-GitHub-SSO: partial-results`): the stored details say which
 * installation that is. The url is the organisation's SSO page on GitHub (the partial-results header
 * carries none); after signing in there the user sees it as usual.
 */
export function ssoInstallationView(
  details: InstallationDetails,
  githubWebUrl: string,
  link?: LinkSettings,
): InstallationView {
  return {
    id: details.id,
    accessible: false,
    linked: true,
    account: { login: details.accountLogin, type: details.accountType, avatarUrl: details.accountAvatarUrl },
    sso: { required: true, url: `${githubWebUrl}/orgs/${encodeURIComponent(details.accountLogin)}/sso` },
    ...(link ? { scope: scopeView(link.scope) } : {}),
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
  policy: LinkPolicy = getServices().config.linkPolicy,
): Promise<{ details: InstallationDetails; fetched: boolean }> {
  if (isFresh(stored)) {
    try {
      await authorize(userId, installationId, stored, policy);
      return { details: stored, fetched: false };
    } catch (error) {
      // Refused on what is stored: GitHub's own word decides (an account renamed with the event not
      // yet here), so a refusal is only ever final on details read just now.
      if (!(error instanceof ForbiddenError)) throw error;
    }
  }
  const details = await fetchInstallation(installationId);
  if (!details) throw notAccessible();
  await authorize(userId, installationId, details, policy);
  return { details, fetched: true };
}

/** GitHub, asked with the caller's own token, confirms they may link this installation (or throws). */
async function authorize(
  userId: number,
  installationId: number,
  details: InstallationDetails,
  policy: LinkPolicy,
) {
  const { github } = getServices();
  const tokens = await getUserTokens();
  await tokens.withToken(userId, async (userToken) => {
    await assertMayLinkInstallation({ github, userToken, userId, installation: details, policy });
    // An organization owner reaches every installation of the organization; anyone else must show it.
    const ownerChecked = details.accountType === 'Organization' && policy === 'org-owners';
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

/** Whether two scopes reach the same repositories (scopes are stored and parsed sorted, lower-case). */
function sameScope(a: RepositoryScope | null, b: RepositoryScope | null): boolean {
  return JSON.stringify(scopeView(a)) === JSON.stringify(scopeView(b));
}

/** installation.scope_changed: the acting account's event, written with the change. */
const scopeChanged = (
  origin: EventOrigin,
  account: { id: string; name: string },
  details: InstallationDetails,
  scope: RepositoryScope | null,
) =>
  domainEvent('installation.scope_changed', origin, [account.id], {
    account: { id: account.id, name: account.name },
    installation: eventInstallation(details),
    scope: scope ? { repositories: [...scope.repositories], patterns: [...scope.patterns] } : null,
  });

/**
 * Links an installation to an account once GitHub confirms the caller may (see verifiedInstallation);
 * details, link and installation.linked (the linking team's event, even for an installation other
 * accounts link too) are written in one transaction that fails if the installation was deleted meanwhile.
 * Idempotent: `created` is false when it was already linked, and then nothing is written unless the
 * details were read afresh from GitHub or `scope` changes the link's. `refresh`: GitHub said the
 * installation changed (setup_action=update), so stored details are not used.
 * `scope` (undefined: not given): the link's repository scope, written with the link (and
 * installation.scope_changed) or set on an existing link. Setting a scope is for an owner of the
 * organisation (docs/repository-scope.md), whatever the deployment's link policy: the check is then
 * 'org-owners' (the same one GitHub call).
 */
export async function linkVerifiedInstallation(input: {
  accountId: string;
  installationId: number;
  userId: number;
  refresh?: boolean;
  scope?: RepositoryScope | null;
  /** Who links it, and the request (installation.linked). */
  origin: EventOrigin;
}): Promise<{ created: boolean; details: InstallationDetails; link: LinkSettings }> {
  const { installations, accounts, config } = getServices();
  // The account's name (for the event) is read beside the link's state: no extra round trip.
  const [stored, account] = await Promise.all([
    installations.linkState(input.accountId, input.installationId),
    accounts.get(input.accountId),
  ]);
  if (!account) throw accountNotFound();
  if (stored.deleted) throw deleted();
  const { scope } = input;
  const { details, fetched } = await verifiedInstallation(
    input.userId,
    input.installationId,
    input.refresh ? undefined : stored.details,
    scope === undefined ? config.linkPolicy : 'org-owners',
  );
  const existing: LinkSettings = {
    commitPolicy: stored.link?.commitPolicy ?? DEFAULT_COMMIT_POLICY,
    scope: stored.link?.scope ?? null,
  };
  const keepsScope = scope === undefined || (stored.link !== undefined && sameScope(existing.scope, scope));
  if (stored.linked && !fetched && keepsScope) return { created: false, details, link: existing };
  const store = getServices().installations;
  try {
    let created = false;
    if (!stored.linked || fetched) {
      const linked = domainEvent('installation.linked', input.origin, [input.accountId], {
        account: { id: account.id, name: account.name },
        installation: eventInstallation(details),
      });
      // A new link made with a scope says so too: consumers learn the scope from events alone.
      const scoped = scope ? [scopeChanged(input.origin, account, details, scope)] : [];
      ({ created } = await store.linkWithDetails(details, input.accountId, input.userId, {
        writeDetails: fetched,
        events: [linked, ...scoped],
        scope: scope ?? null,
      }));
    }
    if (created) {
      // A new link: the reconciler indexes the installation (a repeated PUT of the link does not).
      await requestRepositorySync(input.installationId, 'linked');
      return { created, details, link: { commitPolicy: DEFAULT_COMMIT_POLICY, scope: scope ?? null } };
    }
    if (scope === undefined || keepsScope) return { created, details, link: existing };
    // Already linked (or linked meanwhile): a PUT with another scope sets it.
    const event = scopeChanged(input.origin, account, details, scope);
    if (!(await store.setScope(input.accountId, input.installationId, scope, [event]))) throw notLinked();
    return { created, details, link: { commitPolicy: existing.commitPolicy, scope } };
  } catch (error) {
    if (error instanceof InstallationDeletedError) throw deleted();
    throw error;
  }
}

/**
 * Changes the account's link to the installation: its commit policy and/or its repository scope (null:
 * every repository). Relaxing or restricting who commits with the App's power, and which repositories
 * the account reaches, is for whom GitHub trusts with the installation's account: the caller (checked
 * by the route: an owner for the commit policy, an owner or admin for the scope) must own the GitHub
 * organisation (or be the personal account's user), asked with their own token whatever the
 * deployment's link policy. A scope that changes is reported (installation.scope_changed) in the
 * change's transaction; the same scope again writes nothing of it.
 */
export async function setLinkSettings(input: {
  accountId: string;
  installationId: number;
  userId: number;
  commitPolicy?: CommitPolicy;
  scope?: RepositoryScope | null;
  origin: EventOrigin;
}): Promise<InstallationView> {
  const { installations: store, accounts } = getServices();
  const [state, account] = await Promise.all([
    store.linkState(input.accountId, input.installationId),
    accounts.get(input.accountId),
  ]);
  if (!account) throw accountNotFound();
  if (state.deleted) throw deleted();
  if (!state.link) throw notLinked();
  const link = state.link;
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
  const { commitPolicy, scope } = input;
  const newScope = scope !== undefined && !sameScope(link.scope, scope) ? scope : undefined;
  const events = newScope !== undefined ? [scopeChanged(input.origin, account, details, newScope)] : [];
  const change = {
    ...(commitPolicy !== undefined ? { commitPolicy } : {}),
    ...(newScope !== undefined ? { scope: newScope } : {}),
  };
  if (!(await store.updateLink(input.accountId, input.installationId, change, events))) throw notLinked();
  return installationView(details, true, {
    commitPolicy: commitPolicy ?? link.commitPolicy,
    scope: scope !== undefined ? scope : link.scope,
  });
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
