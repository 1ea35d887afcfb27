import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
import { refreshDisplayLogin } from './display-login.js';
import { callbackUrl, getUserTokens } from '../shared/auth/context.js';
import { cookieOptionsFor } from '../shared/auth/cookies.js';
import { beginFlow, type OAuthFlow } from '../shared/auth/oauth-state.js';
import { validateReturnTo } from '../shared/auth/return-to.js';
import { createSession } from '../shared/auth/sessions.js';
import type { UserTokenPair } from '../shared/auth/user-tokens.js';
import { oauthErrorCode, toUpstreamError } from '../shared/github/github.js';
import { TooManyRequestsError } from '../shared/errors.js';
import type { HttpRequest } from '../shared/http/request.js';
import { abuseLimits } from '../shared/limits/abuse-limits.js';
import { redirect, type HttpResponse } from '../shared/http/responses.js';
import { logger } from '../shared/logger.js';
import { getCrypto, getServices } from '../shared/services.js';
import { count, METRIC } from '../shared/metrics.js';

/** A sign-in outcome the frontend is told about as `?auth_error=<reason>`. */
export class SignInFailed extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * GET /auth/login: a flow with a PKCE verifier sealed in a cookie on this browser, then off to GitHub's
 * authorize page. Writes nothing: anyone may call it any number of times.
 */
export async function startSignIn(request: HttpRequest): Promise<HttpResponse> {
  const { config, secrets, github } = getServices();
  const returnTo = validateReturnTo(request.query.returnTo, config.frontendOrigins);
  const { state, codeChallenge, cookie } = await beginFlow({ purpose: 'login', returnTo }, { pkce: true });
  const app = await secrets.gitHubApp();
  const { url } = getWebFlowAuthorizationUrl({
    clientType: 'github-app',
    clientId: app.clientId,
    redirectUrl: callbackUrl(),
    state,
    request: github,
  });
  const authorize = new URL(url);
  authorize.searchParams.set('code_challenge', codeChallenge ?? '');
  authorize.searchParams.set('code_challenge_method', 'S256');
  return redirect(authorize.toString(), [cookie]);
}

/**
 * Exchanges the code (with the PKCE verifier when the state has one), records the user and their
 * tokens, and opens a session. GitHub's refusals and failures become SignInFailed, never a 500.
 */
export async function signInWithCode(
  code: string,
  flow: OAuthFlow,
  /** Runs once GitHub has named the user, before anything is written (the flow's single use). */
  beforeWrites: () => Promise<void>,
): Promise<{ userId: number; userToken: string; cookie: string }> {
  const { users, secrets, github, sessions } = getServices();
  const { sessionKey } = await getCrypto();
  const verifier = flow.verifier;
  const app = await secrets.gitHubApp();
  let pair: UserTokenPair;
  try {
    const { authentication } = await exchangeWebFlowCode({
      clientType: 'github-app',
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      code,
      redirectUrl: callbackUrl(),
      // GitHub checks the PKCE verifier on the token request; octokit sends extra parameters as given.
      request: verifier ? github.defaults({ code_verifier: verifier }) : github,
    });
    pair = authentication;
  } catch (error) {
    throw failure(error);
  }
  let profile;
  try {
    const { data } = await github('GET /user', { headers: { authorization: `token ${pair.token}` } });
    profile = {
      id: Number(data.id),
      login: data.login,
      name: data.name ?? null,
      avatarUrl: data.avatar_url || null,
    };
  } catch (error) {
    throw failure(error);
  }
  // Over the user's sign-ins per minute: nothing is written, no session (`auth_error=too_many_requests`).
  await abuseLimits().take('signInsPerMinute', profile.id).catch(refusedSignIn);
  await beforeWrites();
  await users.putProfile(profile);
  await refreshDisplayLogin(profile);
  await (await getUserTokens()).store(profile.id, pair);
  const session = await createSession(
    sessions,
    sessionKey,
    profile.id,
    cookieOptionsFor(getServices().config.apiBaseUrl),
  );
  logger.info('User signed in', { userId: profile.id });
  count(METRIC.signIns);
  return { userId: profile.id, userToken: pair.token, cookie: session.cookie };
}

function refusedSignIn(error: unknown): never {
  throw error instanceof TooManyRequestsError ? new SignInFailed('too_many_requests') : error;
}

function failure(error: unknown): unknown {
  const refused = oauthErrorCode(error);
  if (refused) return new SignInFailed(refused);
  if (toUpstreamError(error)) {
    logger.warn('GitHub failed during sign-in', { error });
    return new SignInFailed('github_unavailable');
  }
  return error;
}
