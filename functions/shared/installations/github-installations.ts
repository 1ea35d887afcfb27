import { RequestError } from '@octokit/request-error';
import { getAppAuth } from '../github/app-auth.js';
import { isGitHubStatus, toUpstreamError, type GitHubRequest } from '../github/github.js';
import { allPages } from '../github/pages.js';
import { ssoPartialOrganizations, ssoRequired } from '../github/sso.js';
import type { InstallationDetails } from '../store/installation-store.js';

/** The fields of GitHub's installation object the service uses. */
export type GitHubInstallation = {
  id: number;
  app_slug: string;
  account: { id: number; login?: string; slug?: string; type?: string; avatar_url?: string } | null;
  target_type: string;
  repository_selection: 'all' | 'selected';
  permissions: Record<string, string | undefined>;
  events: string[];
  suspended_at: string | null;
  updated_at?: string;
};

export function toDetails(installation: GitHubInstallation): InstallationDetails {
  // Webhook payloads and REST answers share this shape.
  const account = installation.account;
  return {
    id: installation.id,
    accountId: account?.id ?? 0,
    accountLogin: account?.login ?? account?.slug ?? '',
    accountType: (account?.type ?? installation.target_type) === 'Organization' ? 'Organization' : 'User',
    accountAvatarUrl: account?.avatar_url ?? null,
    repositorySelection: installation.repository_selection,
    permissions: Object.fromEntries(
      Object.entries(installation.permissions).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    ),
    events: installation.events,
    suspendedAt: installation.suspended_at,
    appSlug: installation.app_slug,
    sourceUpdatedAt: installation.updated_at ?? null,
    updatedAt: new Date().toISOString(),
  };
}

function rethrow(error: unknown): never {
  throw toUpstreamError(error) ?? error;
}

/**
 * Every installation the user can reach (`GET /user/installations`, 100 a page): the first page, then
 * all the others at once, so any number costs 2 sequential round trips (⌈n/100⌉ calls).
 * `ssoOrganizationIds`: organisations GitHub left out because they enforce SAML SSO and the user has
 * not signed in there (`X-GitHub-SSO: partial-results`); their installations are not in the list.
 */
export async function listUserInstallations(
  github: GitHubRequest,
  userToken: string,
): Promise<{ installations: InstallationDetails[]; ssoOrganizationIds: number[] }> {
  const answers = await allPages((page) =>
    github('GET /user/installations', {
      per_page: 100,
      page,
      headers: { authorization: `token ${userToken}` },
    }).catch(rethrowUnless401),
  );
  const seen = new Set<number>();
  const out: InstallationDetails[] = [];
  const ssoOrganizationIds = new Set(answers.flatMap(({ headers }) => ssoPartialOrganizations(headers)));
  // An installation removed between page 1 and the others shifts the rest: never list one twice.
  for (const { data } of answers) {
    for (const installation of data.installations) {
      if (seen.has(installation.id)) continue;
      seen.add(installation.id);
      out.push(toDetails(installation as GitHubInstallation));
    }
  }
  return { installations: out, ssoOrganizationIds: [...ssoOrganizationIds] };
}

/**
 * Whether GitHub, asked with the user's own token, lets them reach this installation: one call,
 * whatever the number of installations (`GET /user/installations/{id}/repositories`, 404 if not).
 */
export async function userCanReach(
  github: GitHubRequest,
  userToken: string,
  installationId: number,
): Promise<boolean> {
  try {
    await github('GET /user/installations/{installation_id}/repositories', {
      installation_id: installationId,
      per_page: 1,
      headers: { authorization: `token ${userToken}` },
    });
    return true;
  } catch (error) {
    // A rate limit (403 with Retry-After) is not a refusal: it becomes 503, never "not accessible".
    if (!isGitHubStatus(error, 401) && toUpstreamError(error)) return rethrow(error);
    const sso = ssoRequired(error);
    if (sso) throw sso;
    if (isGitHubStatus(error, 404) || isGitHubStatus(error, 403)) return false;
    return rethrowUnless401(error);
  }
}

/** The installation as GitHub describes it to the App (App JWT); undefined if GitHub does not know it. */
export async function fetchInstallation(installationId: number): Promise<InstallationDetails | undefined> {
  const { request } = await getAppAuth();
  try {
    const { data } = await request('GET /app/installations/{installation_id}', {
      installation_id: installationId,
    });
    return toDetails(data as GitHubInstallation);
  } catch (error) {
    if (error instanceof RequestError && error.status === 404) return undefined;
    return rethrow(error);
  }
}

/** 401s pass through untouched: the user-token service refreshes on them. */
function rethrowUnless401(error: unknown): never {
  if (error instanceof RequestError && error.status === 401) throw error;
  return rethrow(error);
}
