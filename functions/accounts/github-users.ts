import { getUserTokens } from '../shared/auth/context.js';
import { isGitHubStatus, toUpstreamError } from '../shared/github/github.js';
import { getServices } from '../shared/services.js';
import type { GitHubUser } from '../shared/store/account-store.js';

/**
 * The GitHub user who holds `login` now (`GET /users/{username}`, asked with the caller's own token),
 * or undefined when no user does. Logins change hands on GitHub, so this is the only way a login
 * becomes an identity; the table's own copies of logins are display data.
 */
export async function findGitHubUser(callerId: number, login: string): Promise<GitHubUser | undefined> {
  const { github } = getServices();
  const tokens = await getUserTokens();
  try {
    const { data } = await tokens.withToken(callerId, (token) =>
      github('GET /users/{username}', { username: login, headers: { authorization: `token ${token}` } }),
    );
    // An organisation cannot sign in, so it cannot be invited.
    return data.type === 'User' ? { id: Number(data.id), login: data.login } : undefined;
  } catch (error) {
    if (isGitHubStatus(error, 404)) return undefined;
    throw toUpstreamError(error) ?? error;
  }
}
