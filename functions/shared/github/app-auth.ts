import { createAppAuth } from '@octokit/auth-app';
import { RequestError } from '@octokit/request-error';
import { appJwtSigning } from '../app-key/app-jwt.js';
import { count, METRIC } from '../metrics.js';
import { ConflictError, ForbiddenError } from '../errors.js';
import { getCrypto, getServices } from '../services.js';
import type { GitHubAppCredentials } from '../secrets/index.js';
import { InstallationTokenCache } from '../store/installation-token-cache.js';
import { isGitHubStatus, toUpstreamError, type GitHubRequest } from './github.js';

type AppAuth = ReturnType<typeof createAppAuth>;

type AppAuthState = {
  credentials: GitHubAppCredentials;
  auth: AppAuth;
  cache: InstallationTokenCache;
  request: GitHubRequest;
};

let cached: AppAuthState | undefined;

/**
 * The App's own authentication (@octokit/auth-app): JWTs signed with the private key (10 minutes at
 * most; by KMS Sign with APP_KEY_SIGNING=kms, app-key/app-jwt.ts) and installation tokens, cached in the table for every container.
 * One per container, rebuilt if the secret changes.
 */
export async function getAppAuth(): Promise<AppAuthState> {
  const { secrets, github, table } = getServices();
  const credentials = await secrets.gitHubApp();
  if (cached?.credentials !== credentials) {
    const cache = new InstallationTokenCache({
      table,
      appId: credentials.appId,
      cipher: async () => (await getCrypto()).cipher,
    });
    const auth = createAppAuth({
      appId: credentials.appId,
      // The PEM of the secret, or KMS Sign (APP_KEY_SIGNING=kms): app-key/app-jwt.ts.
      ...appJwtSigning(credentials),
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      request: github,
      cache: {
        // auth-app treats a falsy answer as a miss, though its type says string.
        get: async (key: string) => {
          const token = await cache.get(key);
          if (token) count(METRIC.installationTokenCacheHits);
          return token as string;
        },
        // auth-app awaits what set returns (its type says any), so the token is stored before use.
        // eslint-disable-next-line @typescript-eslint/no-misused-promises
        set: (key: string, value: string): Promise<void> => {
          // auth-app stores only what it has just minted.
          count(METRIC.installationTokenMints);
          return cache.set(key, value);
        },
      },
    });
    cached = {
      credentials,
      auth,
      cache,
      request: github.defaults({ request: { hook: auth.hook.bind(auth) } }),
    };
  }
  return cached;
}

/** What an installation token is narrowed to: permissions and, optionally, repositories by name. */
export type TokenScope = {
  permissions: Record<string, 'read' | 'write'>;
  /** Lower-case names (one spelling per repository, so the cache keys of one scope agree). */
  repositoryNames?: readonly string[];
};

/** auth-app's cache key for these options (installation id first), as its cache sees it. */
function cacheKey(installationId: number, scope: TokenScope): string {
  const permissions = Object.keys(scope.permissions)
    .sort()
    .map((name) => (scope.permissions[name] === 'read' ? name : `${name}!`))
    .join(',');
  return [installationId, (scope.repositoryNames ?? []).join(','), permissions].filter(Boolean).join('|');
}

const suspended = () =>
  new ConflictError(
    'installation_suspended',
    'The GitHub App installation is suspended: unsuspend it on GitHub first.',
  );

async function installationToken(state: AppAuthState, installationId: number, scope: TokenScope) {
  return (await installationAuthentication(state, installationId, scope)).token;
}

/** An installation token of `scope` and GitHub's expiry of it, from the shared cache or minted into it. */
async function installationAuthentication(
  state: AppAuthState,
  installationId: number,
  scope: TokenScope,
): Promise<{ token: string; expiresAt: string }> {
  const { permissions } = scope;
  const repositoryNames = scope.repositoryNames?.length ? [...scope.repositoryNames] : undefined;
  try {
    const { token, expiresAt } = await state.auth({
      type: 'installation',
      installationId,
      permissions,
      ...(repositoryNames ? { repositoryNames } : {}),
    });
    return { token, expiresAt };
  } catch (error) {
    await state.cache.release(cacheKey(installationId, scope));
    throw mintError(error, scope);
  }
}

/** GitHub's refusal of a mint as the service's error (the same for cached and dedicated tokens). */
function mintError(error: unknown, scope: TokenScope): unknown {
  const { permissions } = scope;
  const repositoryNames = scope.repositoryNames?.length ? scope.repositoryNames : undefined;
  // Throttling first: a rate-limited 403 is never read as "suspended".
  const upstream = toUpstreamError(error);
  if (upstream) return upstream;
  if (error instanceof RequestError && error.status === 403 && /suspended/i.test(error.message)) {
    return suspended();
  }
  if (error instanceof RequestError && error.status === 422 && repositoryNames) {
    // "There is at least one repository that does not exist or is not accessible to the parent installation."
    if (/repositor/i.test(error.message)) return new RepositoryNotReachableError(error);
  }
  if (error instanceof RequestError && error.status === 422) {
    // GitHub refuses to narrow to permissions the installation lacks (never widens).
    const wanted = Object.entries(permissions)
      .map(([name, level]) => `${name}:${level}`)
      .join(', ');
    return new ForbiddenError(
      'insufficient_installation_permissions',
      `The App's installation does not grant ${wanted}. Accept the App's requested permissions on GitHub.`,
    );
  }
  return error;
}

/** GitHub would not narrow a token to the named repositories: the installation does not reach one of them. */
export class RepositoryNotReachableError extends Error {
  constructor(cause: unknown) {
    super('A repository is not accessible to the installation.', { cause });
    this.name = 'RepositoryNotReachableError';
  }
}

/** What auth-app's token answer looks like in its cache: `token|createdAt|expiresAt|…`. */
const tokenOf = (cached: string) => cached.split('|')[0] ?? '';

/**
 * The cached installation token of `scope`, if a fresh one is there: one table read, no lease, nothing
 * minted (so it may run beside authorization reads). Pass it to installationTokenSession.
 */
export async function peekInstallationToken(
  installationId: number,
  scope: TokenScope,
): Promise<string | undefined> {
  const state = await getAppAuth();
  const cached = await state.cache.peek(cacheKey(installationId, scope));
  return cached === undefined ? undefined : tokenOf(cached);
}

/**
 * Runs GitHub calls with an installation token narrowed to `scope` (permissions, and repositories if
 * named), the same token for every call of the session (one cache read, or none with a `peeked` token).
 * A token GitHub rejects (401: expired early, revoked) is dropped from the shared cache and replaced
 * once. Narrowing to repositories the installation does not reach throws RepositoryNotReachableError.
 */
export function installationTokenSession(
  installationId: number,
  scope: TokenScope,
  peeked?: string,
): <T>(call: (token: string) => Promise<T>) => Promise<T> {
  let current: Promise<string> | undefined = peeked === undefined ? undefined : Promise.resolve(peeked);
  const token = async (state: AppAuthState) => {
    current ??= installationToken(state, installationId, scope);
    try {
      return await current;
    } catch (error) {
      current = undefined; // a failed mint is not remembered
      throw error;
    }
  };
  return async (call) => {
    const state = await getAppAuth();
    const used = await token(state);
    try {
      return await call(used);
    } catch (error) {
      if (!isGitHubStatus(error, 401)) throw error;
    }
    // Only this scope's item can hold it (one conditional delete, however many scopes are cached).
    await state.cache.forget(cacheKey(installationId, scope), used);
    if (current !== undefined && (await current.catch(() => undefined)) === used) current = undefined;
    return call(await token(state));
  };
}

/** One call (or a few) with an installation token of `scope`: see installationTokenSession. */
export function withInstallationToken<T>(
  installationId: number,
  scope: TokenScope,
  call: (token: string) => Promise<T>,
): Promise<T> {
  return installationTokenSession(installationId, scope)(call);
}

/**
 * The token itself and its expiry, for a caller that hands it on (token vending): the cached token of
 * `scope` if a fresh one is there, else one minted into the shared cache (one per scope per hour across
 * every container). Errors as installationTokenSession's.
 */
export async function cachedInstallationToken(
  installationId: number,
  scope: TokenScope,
): Promise<{ token: string; expiresAt: string }> {
  return installationAuthentication(await getAppAuth(), installationId, scope);
}

/**
 * A token of `scope` revoked at GitHub: drop it from the shared cache (one conditional delete of the
 * scope's item, whatever the number of scopes cached for the installation).
 */
export async function forgetInstallationToken(
  installationId: number,
  scope: TokenScope,
  token: string,
): Promise<void> {
  await (await getAppAuth()).cache.forget(cacheKey(installationId, scope), token);
}

/**
 * A DEDICATED installation token of `scope`, minted for one caller only: never read from nor written to
 * the shared cache, so it can be revoked on its own deadline (token vending's maxLifetimeMinutes)
 * without revoking a token other requests use. Narrowed exactly as the cached one; errors alike.
 */
export async function dedicatedInstallationToken(
  installationId: number,
  scope: TokenScope,
): Promise<{ token: string; expiresAt: string }> {
  const state = await getAppAuth();
  const repositoryNames = scope.repositoryNames?.length ? [...scope.repositoryNames] : undefined;
  try {
    // The App's JWT is added by auth-app's hook (this route needs app authentication).
    const response = await state.request('POST /app/installations/{installation_id}/access_tokens', {
      installation_id: installationId,
      permissions: scope.permissions,
      ...(repositoryNames ? { repositories: repositoryNames } : {}),
    });
    count(METRIC.installationTokenMints);
    return { token: response.data.token, expiresAt: response.data.expires_at };
  } catch (error) {
    throw mintError(error, scope);
  }
}
