import { createHash, timingSafeEqual } from 'node:crypto';
import { notFound, validationFailed } from '../errors.js';
import { sendInstallationEvent } from '../events.js';
import {
  escapeHtml,
  page,
  redirectTo,
  stringField,
  type EmulatorContext,
  type EmulatorRequest,
  type EmulatorResponse,
  type Route,
} from '../http.js';
import { REFRESH_TOKEN_SECONDS, USER_TOKEN_SECONDS, type EmulatedApp } from '../world.js';

const TROUBLESHOOTING =
  'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';

const OAUTH_ERRORS = {
  bad_verification_code: 'The code passed is incorrect or expired.',
  bad_refresh_token: 'The refresh token passed is incorrect or expired.',
  incorrect_client_credentials: 'The client_id and/or client_secret passed are incorrect.',
  redirect_uri_mismatch: 'The redirect_uri MUST match the registered callback URL for this application.',
  unsupported_grant_type: 'The grant type passed is not supported.',
} as const;

type OAuthErrorCode = keyof typeof OAUTH_ERRORS;

/** GitHub answers token-endpoint errors with HTTP 200 and an `error` field. */
function oauthAnswer(request: EmulatorRequest, payload: Record<string, string | number>): EmulatorResponse {
  const accept = String(request.headers.accept ?? '');
  if (accept.includes('application/json')) return { status: 200, body: payload };
  const form = new URLSearchParams(
    Object.entries(payload).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  return {
    status: 200,
    text: { contentType: 'application/x-www-form-urlencoded; charset=utf-8', body: form },
  };
}

function oauthError(request: EmulatorRequest, error: OAuthErrorCode, description?: string): EmulatorResponse {
  return oauthAnswer(request, {
    error,
    error_description: description ?? OAUTH_ERRORS[error],
    error_uri: `${TROUBLESHOOTING}#${error.replace(/_/g, '-')}`,
  });
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** GitHub accepts a redirect_uri on the callback URL's host and port, at its path or below. */
function redirectAllowed(app: EmulatedApp, redirectUri: string): boolean {
  let target: URL;
  try {
    target = new URL(redirectUri);
  } catch {
    return false;
  }
  return app.callbackUrls.some((callback) => {
    const registered = new URL(callback);
    return (
      registered.origin === target.origin &&
      (target.pathname === registered.pathname ||
        target.pathname.startsWith(registered.pathname.replace(/\/?$/, '/')))
    );
  });
}

function withParams(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

/** The user "signed in to GitHub" in this browser flow: named by `login=` (scripts) or picked on a page. */
function browserUser(context: EmulatorContext, request: EmulatorRequest) {
  const login = request.url.searchParams.get('login');
  const user = login ? context.world.accountByLogin(login) : undefined;
  return user?.type === 'User' ? user : undefined;
}

function userPicker(context: EmulatorContext, request: EmulatorRequest, title: string, intro: string) {
  const users = [...context.world.accounts.values()].filter((account) => account.type === 'User');
  const links = users
    .map((user) => {
      const url = new URL(request.url);
      url.searchParams.set('login', user.login);
      return `<a class="button" href="${escapeHtml(url.pathname + url.search)}">Continue as <b>${escapeHtml(user.login)}</b></a>`;
    })
    .join('');
  return page(
    title,
    `<p>${intro}</p>${links || '<p>No users exist yet: create one with POST /_emulator/users.</p>'}`,
  );
}

export const oauthRoutes: Route[] = [
  {
    method: 'GET',
    template: '/login/oauth/authorize',
    kind: 'web',
    handle: (request, context) => {
      const { world } = context;
      const query = request.url.searchParams;
      const app = world.appByClientId(query.get('client_id') ?? '');
      if (!app) return { ...page('Not found', '<p>No application with that client_id.</p>'), status: 404 };
      const state = query.get('state') ?? undefined;
      const requestedRedirect = query.get('redirect_uri') ?? undefined;
      const fallback = app.callbackUrls[0];
      if (!fallback)
        return { ...page('Not configured', '<p>The application has no callback URL.</p>'), status: 400 };
      if (requestedRedirect !== undefined && !redirectAllowed(app, requestedRedirect)) {
        return redirectTo(
          withParams(fallback, {
            error: 'redirect_uri_mismatch',
            error_description: OAUTH_ERRORS.redirect_uri_mismatch,
            error_uri: `${TROUBLESHOOTING}#redirect-uri-mismatch`,
            state,
          }),
        );
      }
      const method = query.get('code_challenge_method');
      const challenge = query.get('code_challenge') ?? undefined;
      if (challenge !== undefined && method !== null && method !== 'S256') {
        return {
          ...page('Unsupported', '<p>Only the S256 code_challenge_method is supported.</p>'),
          status: 400,
        };
      }
      const redirectUri = requestedRedirect ?? fallback;
      const user = browserUser(context, request);
      if (!user) {
        return userPicker(
          context,
          request,
          `Authorize ${app.name}`,
          `${escapeHtml(app.name)} wants to know who you are.`,
        );
      }
      if (query.get('deny') !== null) {
        return redirectTo(
          withParams(redirectUri, {
            error: 'access_denied',
            error_description: 'The user has denied your application access.',
            error_uri: `${TROUBLESHOOTING}#access-denied`,
            state,
          }),
        );
      }
      const code = world.issueCode({
        appId: app.id,
        userId: user.id,
        redirectUri: requestedRedirect,
        codeChallenge: challenge,
      });
      return redirectTo(withParams(redirectUri, { code, state }));
    },
  },
  {
    method: 'POST',
    template: '/login/oauth/access_token',
    kind: 'oauth',
    handle: (request, { world }) => {
      const field = (name: string) =>
        stringField(request.body, name) ?? request.url.searchParams.get(name) ?? undefined;
      let clientId = field('client_id');
      let clientSecret = field('client_secret');
      if (request.credential.kind === 'client_basic') {
        clientId ??= request.credential.clientId;
        clientSecret ??= request.credential.clientSecret;
      }
      const app = clientId ? world.appByClientId(clientId) : undefined;
      if (!app || !clientSecret || !safeEqual(clientSecret, app.clientSecret)) {
        return oauthError(request, 'incorrect_client_credentials');
      }
      const grantType = field('grant_type') ?? 'authorization_code';
      let userId: number;
      if (grantType === 'refresh_token') {
        const presented = field('refresh_token') ?? '';
        const record = world.refreshTokens.get(presented);
        if (!record || record.used || record.appId !== app.id || record.expiresAtMs <= world.clock.nowMs()) {
          return oauthError(request, 'bad_refresh_token');
        }
        // Single use: this refresh token and the access token issued with it stop working now.
        record.used = true;
        const previous = world.userTokens.get(record.accessToken);
        if (previous) previous.revoked = true;
        userId = record.userId;
      } else if (grantType === 'authorization_code') {
        const code = world.takeCode(field('code') ?? '');
        if (!code || code.appId !== app.id) return oauthError(request, 'bad_verification_code');
        const redirectUri = field('redirect_uri');
        if (redirectUri !== undefined && code.redirectUri !== undefined && redirectUri !== code.redirectUri) {
          return oauthError(request, 'redirect_uri_mismatch');
        }
        if (code.codeChallenge !== undefined) {
          const verifier = field('code_verifier') ?? '';
          const computed = createHash('sha256').update(verifier).digest('base64url');
          if (!verifier || !safeEqual(computed, code.codeChallenge)) {
            return oauthError(
              request,
              'bad_verification_code',
              'The code_verifier does not match the code_challenge.',
            );
          }
        }
        userId = code.userId;
      } else {
        return oauthError(request, 'unsupported_grant_type');
      }
      const { access, refresh } = world.issueUserToken(app.id, userId);
      return oauthAnswer(request, {
        access_token: access.token,
        ...(refresh
          ? {
              expires_in: USER_TOKEN_SECONDS,
              refresh_token: refresh.token,
              refresh_token_expires_in: REFRESH_TOKEN_SECONDS,
            }
          : {}),
        scope: '',
        token_type: 'bearer',
      });
    },
  },
  {
    method: 'GET',
    template: '/apps/{app_slug}/installations/new',
    kind: 'web',
    handle: async (request, context) => {
      const { world } = context;
      const query = request.url.searchParams;
      const app = world.appBySlug(request.params.app_slug ?? '');
      if (!app) return { ...page('Not found', '<p>No GitHub App with that name.</p>'), status: 404 };
      const user = browserUser(context, request);
      if (!user)
        return userPicker(
          context,
          request,
          `Install ${app.name}`,
          'Sign in to choose where to install the App.',
        );
      const reachable = world.reachableAccountIds(user.id);
      const targetLogin = query.get('target');
      const target = targetLogin ? world.accountByLogin(targetLogin) : undefined;
      if (!target) {
        const links = [...reachable]
          .map((id) => world.account(id))
          .map((account) => {
            const url = new URL(request.url);
            url.searchParams.set('target', account.login);
            const installed = world.installationFor(app.id, account.id) ? ' (installed: configure)' : '';
            return `<a class="button" href="${escapeHtml(url.pathname + url.search)}">${escapeHtml(account.login)} <small>${account.type}${installed}</small></a>`;
          })
          .join('');
        return page(
          `Install ${app.name}`,
          `<p>Where do you want to install ${escapeHtml(app.name)}?</p>${links}`,
        );
      }
      if (!reachable.has(target.id)) {
        return {
          ...page(
            'Forbidden',
            `<p>${escapeHtml(user.login)} cannot install apps on ${escapeHtml(target.login)}.</p>`,
          ),
          status: 403,
        };
      }
      let installation = world.installationFor(app.id, target.id);
      const setupAction = installation ? 'update' : 'install';
      if (!installation) {
        installation = world.install({ appId: app.id, accountId: target.id });
        await sendInstallationEvent(context, 'created', installation, user);
      }
      const state = query.get('state') ?? undefined;
      const installationId = String(installation.id);
      const callback = app.callbackUrls[0];
      if (app.requestOAuthOnInstall && callback) {
        const code = world.issueCode({
          appId: app.id,
          userId: user.id,
          redirectUri: undefined,
          codeChallenge: undefined,
        });
        return redirectTo(
          withParams(callback, { code, installation_id: installationId, setup_action: setupAction, state }),
        );
      }
      if (app.setupUrl) {
        return redirectTo(
          withParams(app.setupUrl, { installation_id: installationId, setup_action: setupAction, state }),
        );
      }
      return page('Installed', `<p>${escapeHtml(app.name)} is installed on ${escapeHtml(target.login)}.</p>`);
    },
  },
  ...(['token', 'grant'] as const).map((what): Route => ({
    method: 'DELETE',
    template: `/applications/{client_id}/${what}`,
    kind: 'rest',
    handle: async (request, context) => {
      const { world, serializer, webhooks } = context;
      const credential = request.credential;
      const app = world.appByClientId(request.params.client_id ?? '');
      if (
        credential.kind !== 'client_basic' ||
        !app ||
        credential.clientId !== app.clientId ||
        !safeEqual(credential.clientSecret, app.clientSecret)
      ) {
        throw notFound();
      }
      const accessToken = stringField(request.body, 'access_token');
      if (!accessToken)
        throw validationFailed('Invalid request.', [
          { resource: 'Application', field: 'access_token', code: 'missing_field' },
        ]);
      const record = world.userTokens.get(accessToken);
      if (!record || record.appId !== app.id) throw notFound();
      if (what === 'token') {
        record.revoked = true;
        const refresh = record.refreshToken ? world.refreshTokens.get(record.refreshToken) : undefined;
        if (refresh) refresh.used = true;
      } else {
        world.revokeAuthorization(app.id, record.userId);
        const user = world.accounts.get(record.userId);
        if (user) {
          await webhooks.send(app, 'github_app_authorization', {
            action: 'revoked',
            sender: serializer.simpleUser(user),
          });
        }
      }
      return { status: 204 };
    },
  })),
];
