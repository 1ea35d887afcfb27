import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
import { refreshDisplayLogin } from '../shared/accounts/display-login.js';
import { callbackUrl, getUserTokens } from '../shared/auth/context.js';
import { createState, verifierBinding } from '../shared/auth/oauth-state.js';
import { validateReturnTo } from '../shared/auth/return-to.js';
import { hashSecret } from '../shared/auth/secret-hash.js';
import { createSession } from '../shared/auth/sessions.js';
import type { UserTokenPair } from '../shared/auth/user-tokens.js';
import { BadRequestError } from '../shared/errors.js';
import { oauthErrorCode, toUpstreamError } from '../shared/github/github.js';
import type { HttpRequest } from '../shared/http/request.js';
import { redirect, type HttpResponse } from '../shared/http/responses.js';
import { logger } from '../shared/logger.js';
import { getCrypto, getServices } from '../shared/services.js';
import type { OAuthState } from '../shared/store/oauth-state-store.js';

/** A sign-in outcome the frontend is told about as `?auth_error=<reason>`. */
export class SignInFailed extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** GET /auth/login: a single-use state with a PKCE verifier, then off to GitHub's authorize page. */
export async function startSignIn(request: HttpRequest): Promise<HttpResponse> {
  const { config, secrets, github } = getServices();
  const returnTo = validateReturnTo(request.query.returnTo, config.frontendOrigins);
  const { state, codeChallenge } = await createState({ purpose: 'login', returnTo }, { pkce: true });
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
  return redirect(authorize.toString());
}

/** Consumes the callback's state exactly once; anything but a live state of ours is 400 invalid_state. */
export async function consumeState(request: HttpRequest): Promise<{ state: OAuthState; stateHash: string }> {
  const { sessionKey } = await getCrypto();
  const rawState = request.query.state;
  if (!rawState)
    throw new BadRequestError('invalid_state', 'The sign-in state is missing. Start signing in again.');
  const stateHash = hashSecret(sessionKey, rawState);
  const state = await getServices().states.consume(stateHash, Math.floor(Date.now() / 1000));
  if (!state) {
    throw new BadRequestError(
      'invalid_state',
      'This sign-in link was already used, has expired, or is not ours. Start again.',
    );
  }
  return { state, stateHash };
}

/**
 * Exchanges the code (with the PKCE verifier when the state has one), records the user and their
 * tokens, and opens a session. GitHub's refusals and failures become SignInFailed, never a 500.
 */
export async function signInWithCode(
  code: string,
  state: OAuthState,
  stateHash: string,
): Promise<{ userId: number; userToken: string; cookie: string }> {
  const { users, secrets, github, sessions } = getServices();
  const { cipher, sessionKey } = await getCrypto();
  const verifier = state.sealedVerifier
    ? cipher.decrypt(state.sealedVerifier, verifierBinding(stateHash))
    : undefined;
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
  await users.putProfile(profile);
  await refreshDisplayLogin(profile);
  await (await getUserTokens()).store(profile.id, pair);
  const session = await createSession(sessions, sessionKey, profile.id);
  logger.info('User signed in', { userId: profile.id });
  return { userId: profile.id, userToken: pair.token, cookie: session.cookie };
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
