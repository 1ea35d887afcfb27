import { createHash, randomBytes } from 'node:crypto';
import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
import { callbackUrl, getUserTokens } from '../shared/auth/context.js';
import { validateReturnTo, withQuery } from '../shared/auth/return-to.js';
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

const STATE_TTL_SECONDS = 600;
/** GitHub's callback errors we pass on by name; anything else is reported as `github_error`. */
const KNOWN_GITHUB_ERRORS = new Set(['access_denied', 'redirect_uri_mismatch', 'application_suspended']);

const verifierBinding = (stateHash: string) => `STATE#${stateHash}#verifier`;

/** Creates a single-use state (with its PKCE verifier) and the GitHub authorize URL that carries it. */
export async function createAuthorization(
  input: Omit<OAuthState, 'sealedVerifier'>,
): Promise<{ url: string; state: string }> {
  const { states, secrets, github } = getServices();
  const { cipher, sessionKey } = await getCrypto();
  const app = await secrets.gitHubApp();
  const state = randomBytes(32).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const stateHash = hashSecret(sessionKey, state);
  await states.create(
    stateHash,
    { ...input, sealedVerifier: cipher.encrypt(verifier, verifierBinding(stateHash)) },
    Math.floor(Date.now() / 1000) + STATE_TTL_SECONDS,
  );
  const { url } = getWebFlowAuthorizationUrl({
    clientType: 'github-app',
    clientId: app.clientId,
    redirectUrl: callbackUrl(),
    state,
    request: github,
  });
  const authorize = new URL(url);
  authorize.searchParams.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
  authorize.searchParams.set('code_challenge_method', 'S256');
  return { url: authorize.toString(), state };
}

/** GET /auth/login: off to GitHub's authorize page. */
export async function startSignIn(request: HttpRequest): Promise<HttpResponse> {
  const returnTo = validateReturnTo(request.query.returnTo, getServices().config.frontendOrigins);
  const { url } = await createAuthorization({ purpose: 'login', returnTo });
  return redirect(url);
}

export type CompletedSignIn = { userId: number; login: string; state: OAuthState; cookie: string };

/**
 * GET /auth/callback: consumes the state once (before anything else), exchanges the code with the
 * PKCE verifier, records the user and their tokens, and opens a session. GitHub-side failures come
 * back to the frontend as `auth_error`, never as a 500.
 */
export async function completeSignIn(request: HttpRequest): Promise<CompletedSignIn | HttpResponse> {
  const { states, users, secrets, github } = getServices();
  const { cipher, sessionKey } = await getCrypto();
  const rawState = request.query.state;
  if (!rawState)
    throw new BadRequestError('invalid_state', 'The sign-in state is missing. Start signing in again.');
  const stateHash = hashSecret(sessionKey, rawState);
  const state = await states.consume(stateHash, Math.floor(Date.now() / 1000));
  if (!state) {
    throw new BadRequestError(
      'invalid_state',
      'This sign-in link was already used, has expired, or is not ours. Start again.',
    );
  }
  const fail = (reason: string) => redirect(withQuery(state.returnTo, { auth_error: reason }));

  const githubError = request.query.error;
  if (githubError) return fail(KNOWN_GITHUB_ERRORS.has(githubError) ? githubError : 'github_error');
  const code = request.query.code;
  if (!code) return fail('missing_code');

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
    const refused = oauthErrorCode(error);
    if (refused) return fail(refused);
    if (toUpstreamError(error)) {
      logger.warn('GitHub failed during sign-in', { error });
      return fail('github_unavailable');
    }
    throw error;
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
    if (toUpstreamError(error)) return fail('github_unavailable');
    throw error;
  }
  await users.putProfile(profile);
  await (await getUserTokens()).store(profile.id, pair);
  const session = await createSession(getServices().sessions, sessionKey, profile.id);
  logger.info('User signed in', { userId: profile.id });
  return { userId: profile.id, login: profile.login, state, cookie: session.cookie };
}
