import { MANAGERS } from '../shared/accounts/membership.js';
import { requireCaller } from '../shared/auth/context.js';
import { withQuery } from '../shared/auth/return-to.js';
import { AppError } from '../shared/errors.js';
import type { HttpRequest } from '../shared/http/request.js';
import { redirect, type HttpResponse } from '../shared/http/responses.js';
import { linkVerifiedInstallation, refreshInstallationDetails } from '../shared/installations/link.js';
import { logger } from '../shared/logger.js';
import { getServices } from '../shared/services.js';
import { AccountStore } from '../shared/store/account-store.js';
import type { OAuthState } from '../shared/store/oauth-state-store.js';
import { consumeState, signInWithCode, SignInFailed } from './sign-in.js';

/** GitHub's callback errors passed on by name; anything else is reported as `github_error`. */
const KNOWN_GITHUB_ERRORS = new Set(['access_denied', 'redirect_uri_mismatch', 'application_suspended']);
const INSTALLATION_ID = /^[1-9][0-9]{0,19}$/;

/**
 * GET /auth/callback, GitHub's OAuth callback and the App's setup URL. The state is consumed before
 * anything else. Sign-in states open a session; install states (from `installUrl`) link the installation
 * GitHub names, but only after GitHub confirms with the user's own token that they can reach it.
 */
export async function handleCallback(request: HttpRequest): Promise<HttpResponse> {
  const { state, stateHash } = await consumeState(request);
  const back = (params: Record<string, string>, cookies?: string[]) =>
    redirect(withQuery(state.returnTo, params), cookies);

  const githubError = request.query.error;
  if (githubError)
    return back({ auth_error: KNOWN_GITHUB_ERRORS.has(githubError) ? githubError : 'github_error' });

  let userId: number;
  const cookies: string[] = [];
  const code = request.query.code;
  try {
    if (code) {
      const signedIn = await signInWithCode(code, state, stateHash);
      userId = signedIn.userId;
      cookies.push(signedIn.cookie);
    } else if (state.purpose === 'install') {
      // "Request user authorization during installation" off: GitHub sends no code; use the session.
      userId = (await requireCaller(request)).userId;
    } else {
      return back({ auth_error: 'missing_code' });
    }
  } catch (error) {
    if (error instanceof SignInFailed) return back({ auth_error: error.reason });
    throw error;
  }

  if (state.purpose !== 'install') return redirect(state.returnTo, cookies);
  const outcome = await completeInstall(request, state, userId);
  return back(outcome, cookies);
}

async function completeInstall(
  request: HttpRequest,
  state: OAuthState,
  userId: number,
): Promise<Record<string, string>> {
  const rawId = request.query.installation_id ?? '';
  if (!INSTALLATION_ID.test(rawId) || !state.accountId) return { install_error: 'missing_installation' };
  const installationId = Number(rawId);
  // The state was made for one user and one account; someone else finishing it links nothing.
  if (state.userId !== userId) return { install_error: 'install_user_mismatch' };
  const member = await new AccountStore(getServices().table).getMembership(state.accountId, userId);
  if (!member || !MANAGERS.includes(member.role)) return { install_error: 'insufficient_role' };
  try {
    if (request.query.setup_action === 'update') {
      await refreshInstallationDetails(installationId);
      return { installation_id: rawId, setup_action: 'update' };
    }
    await linkVerifiedInstallation({ accountId: state.accountId, installationId, userId });
    return { installation_id: rawId, linked: 'true' };
  } catch (error) {
    if (error instanceof AppError && error.statusCode < 500) return { install_error: error.code };
    if (error instanceof AppError) {
      logger.warn('Linking after installation failed upstream', { code: error.code });
      return { install_error: error.code };
    }
    throw error;
  }
}
