import { createAppAuth } from '@octokit/auth-app';
import { getServices } from '../services.js';
import type { GitHubAppCredentials } from '../secrets/index.js';
import type { GitHubRequest } from './github.js';

type AppAuth = ReturnType<typeof createAppAuth>;

let cached: { credentials: GitHubAppCredentials; auth: AppAuth; request: GitHubRequest } | undefined;

/**
 * The App's own authentication (@octokit/auth-app): JWTs signed with the private key (issued 30 s in
 * the past, 10 minutes at most) and installation tokens. One per container, rebuilt if the secret
 * changes.
 */
export async function getAppAuth(): Promise<{ auth: AppAuth; request: GitHubRequest }> {
  const { secrets, github } = getServices();
  const credentials = await secrets.gitHubApp();
  if (cached?.credentials !== credentials) {
    const auth = createAppAuth({
      appId: credentials.appId,
      privateKey: credentials.privateKey,
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      request: github,
    });
    cached = {
      credentials,
      auth,
      request: github.defaults({ request: { hook: auth.hook.bind(auth) } }),
    };
  }
  return { auth: cached.auth, request: cached.request };
}
