import { MANAGERS } from '../shared/accounts/membership.js';
import { requireCaller } from '../shared/auth/context.js';
import { takeFlow, type OAuthFlow } from '../shared/auth/oauth-state.js';
import { withQuery } from '../shared/auth/return-to.js';
import { AppError, UnauthorizedError } from '../shared/errors.js';
import { requestOrigin } from '../shared/events/request-origin.js';
import type { HttpRequest } from '../shared/http/request.js';
import { redirect, type HttpResponse } from '../shared/http/responses.js';
import { linkVerifiedInstallation, refreshVerifiedInstallation } from '../shared/installations/link.js';
import { logger } from '../shared/logger.js';
import { getServices } from '../shared/services.js';
import { signInWithCode, SignInFailed } from './sign-in.js';

/** GitHub's callback errors passed on by name; anything else is reported as `github_error`. */
const KNOWN_GITHUB_ERRORS = new Set(['access_denied', 'redirect_uri_mismatch', 'application_suspended']);
const INSTALLATION_ID = /^[1-9][0-9]{0,19}$/;

/**
 * GET /auth/callback, GitHub's OAuth callback and the App's setup URL. The flow must be the one this
 * browser started (its sealed cookie) and is used once. Sign-in flows open a session; install flows
 * link the installation GitHub names, but only once GitHub confirms with the user's own token that they
 * may. A settings change made on GitHub itself (setup_action=update, no flow) refreshes what is stored
 * for a signed-in user GitHub confirms, and links nothing.
 */
export async function handleCallback(request: HttpRequest): Promise<HttpResponse> {
  if (request.query.state === undefined && request.query.setup_action === 'update')
    return settingsUpdated(request);
  const { flow, clearCookies, markUsed } = await takeFlow(request);
  const cookies = [...clearCookies];
  const back = (params: Record<string, string>) => redirect(withQuery(flow.returnTo, params), cookies);

  const githubError = request.query.error;
  if (githubError)
    return back({ auth_error: KNOWN_GITHUB_ERRORS.has(githubError) ? githubError : 'github_error' });

  let userId: number;
  const code = request.query.code;
  try {
    if (code) {
      const signedIn = await signInWithCode(code, flow, markUsed);
      userId = signedIn.userId;
      cookies.push(signedIn.cookie);
    } else if (flow.purpose === 'install') {
      // "Request user authorization during installation" off: GitHub sends no code; use the session.
      userId = (await requireCaller(request)).userId;
      await markUsed();
    } else {
      return back({ auth_error: 'missing_code' });
    }
  } catch (error) {
    if (error instanceof SignInFailed) return back({ auth_error: error.reason });
    throw error;
  }

  if (flow.purpose !== 'install') return redirect(flow.returnTo, cookies);
  return back(await completeInstall(request, flow, userId));
}

async function completeInstall(
  request: HttpRequest,
  flow: OAuthFlow,
  userId: number,
): Promise<Record<string, string>> {
  const rawId = request.query.installation_id ?? '';
  if (!INSTALLATION_ID.test(rawId) || !flow.accountId) return { install_error: 'missing_installation' };
  // The flow was made for one user and one account; someone else finishing it links nothing.
  if (flow.userId !== userId) return { install_error: 'install_user_mismatch' };
  const [member, profile] = await Promise.all([
    getServices().accounts.getMembership(flow.accountId, userId),
    getServices().users.getProfile(userId),
  ]);
  if (!member || !MANAGERS.includes(member.role)) return { install_error: 'insufficient_role' };
  // The linking user as events name them (their current login); a signed-in user always has a profile.
  if (!profile) throw new UnauthorizedError('invalid_session', 'The session is not valid. Sign in again.');
  const origin = requestOrigin(request, { id: profile.id, login: profile.login });
  const update = request.query.setup_action === 'update';
  return outcome(async () => {
    await linkVerifiedInstallation({
      accountId: flow.accountId ?? '',
      installationId: Number(rawId),
      userId,
      // GitHub says the installation changed: what is stored may predate it.
      refresh: update,
      origin,
    });
    return { installation_id: rawId, linked: 'true', ...(update ? { setup_action: 'update' } : {}) };
  });
}

/** GitHub sent the user back after they changed the installation's settings on GitHub. */
async function settingsUpdated(request: HttpRequest): Promise<HttpResponse> {
  const home = `${getServices().config.frontendOrigins[0] ?? ''}/`;
  const rawId = request.query.installation_id ?? '';
  if (!INSTALLATION_ID.test(rawId))
    return redirect(withQuery(home, { install_error: 'missing_installation' }));
  const params = await outcome(async () => {
    const { userId } = await requireCaller(request);
    await refreshVerifiedInstallation(userId, Number(rawId));
    return { installation_id: rawId, setup_action: 'update' };
  });
  return redirect(withQuery(home, params));
}

/** What the frontend is told: the result, or `install_error=<code>` (never a 500 for GitHub's refusals). */
async function outcome(run: () => Promise<Record<string, string>>): Promise<Record<string, string>> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (error.statusCode >= 500)
      logger.warn('Completing an installation failed upstream', { code: error.code });
    return { install_error: error.code };
  }
}
