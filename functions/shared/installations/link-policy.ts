import { RequestError } from '@octokit/request-error';
import { ForbiddenError } from '../errors.js';
import { toUpstreamError, type GitHubRequest } from '../github/github.js';
import { ssoRequired } from '../github/sso.js';
import type { InstallationDetails } from '../store/installation-store.js';

/**
 * Who may hand an installation's power to a platform account:
 * - `org-owners` (default): an organization's installation only by an owner of that organization;
 * - `org-members` (a deployment's explicit choice, docs/how-it-works.md "Who may link"): any active member — a risk,
 *   since a plain member then gives a team of their choosing the App's power over the organization.
 * A personal account's installation is always linked only by that user.
 */
export type LinkPolicy = 'org-owners' | 'org-members';

/** The organization permission GitHub requires before it answers membership questions for the App. */
export const MEMBERS_PERMISSION = { name: 'members', level: 'read', label: 'Members: read' } as const;

export class MembersPermissionMissingError extends ForbiddenError {
  constructor(org: string) {
    super(
      'installation_permission_missing',
      `GitHub will not tell the App who owns ${org}: the installation there has not granted the organization permission "${MEMBERS_PERMISSION.label}". An owner of ${org} must accept the App's updated permissions on GitHub first.`,
    );
  }
}

type OrgMembership = { state: 'active' | 'pending'; role: string; organizationId: number | undefined };

/** The user's membership of `org` as GitHub reports it to their own token; undefined when not a member. */
async function orgMembership(
  github: GitHubRequest,
  userToken: string,
  org: string,
): Promise<OrgMembership | undefined> {
  try {
    const { data } = await github('GET /user/memberships/orgs/{org}', {
      org,
      headers: { authorization: `token ${userToken}` },
    });
    return { state: data.state, role: data.role, organizationId: data.organization?.id };
  } catch (error) {
    if (!(error instanceof RequestError) || error.response === undefined)
      throw toUpstreamError(error) ?? error;
    // 401 goes back to the user-token service, which refreshes and retries once.
    if (error.status === 401) throw error;
    // A rate limit is not a refusal: 503 with GitHub's Retry-After.
    const upstream = toUpstreamError(error);
    if (upstream) throw upstream;
    if (error.status === 404) return undefined;
    // An SSO organisation refuses the user's token until they sign in there: not a missing permission.
    const sso = ssoRequired(error);
    if (sso) throw sso;
    if (error.status === 403) throw new MembersPermissionMissingError(org);
    throw error;
  }
}

/**
 * Decides, with GitHub's answer to the caller's own token, whether `userId` may link this installation.
 * Throws a ForbiddenError naming the rule otherwise. Run inside `withToken` (401 → refresh, once).
 */
export async function assertMayLinkInstallation(input: {
  github: GitHubRequest;
  userToken: string;
  userId: number;
  installation: InstallationDetails;
  policy: LinkPolicy;
}): Promise<void> {
  const { installation } = input;
  if (installation.accountType === 'User') {
    if (installation.accountId === input.userId) return;
    throw new ForbiddenError(
      'personal_account_owner_required',
      `The installation on the personal account ${installation.accountLogin} can only be linked by ${installation.accountLogin}.`,
    );
  }
  const membership = await orgMembership(input.github, input.userToken, installation.accountLogin);
  // The organization by that login must be the installation's own: a login may have changed hands
  // since the details were stored (a rename), and its new holder's owners are nobody here.
  const active = membership?.state === 'active' && membership.organizationId === installation.accountId;
  if (active && membership.role === 'admin') return;
  if (active && input.policy === 'org-members') return;
  throw new ForbiddenError(
    'org_owner_required',
    `Only an owner of the GitHub organization ${installation.accountLogin} can link its installation to a platform account.`,
  );
}
