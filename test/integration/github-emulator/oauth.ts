/**
 * The GitHub emulator: the OAuth web flow and user tokens (run by test/integration/github-
 * emulator.test.ts).
 */
import { createHash } from 'node:crypto';
import { deleteAuthorization, deleteToken, exchangeWebFlowCode, refreshToken } from '@octokit/oauth-methods';
import { authorizeAs, startEmulatorFixture } from '../../support/emulator.js';
import { failure, fx, request, signIn } from '../../support/emulator-suite.js';

describe('OAuth web flow and user tokens', () => {
  it('signs a user in: code → 8-hour user token and 6-month single-use refresh token', async () => {
    const { token, refreshToken: refresh, expiresAt } = await signIn('octo-demo');
    expect(token).toMatch(/^ghu_/);
    expect(refresh).toMatch(/^ghr_/);
    expect(expiresAt).toBeDefined();
    const { data } = await request('GET /user', { headers: { authorization: `token ${token}` } });
    expect(data).toMatchObject({ login: 'octo-demo', name: 'Octo Demo', type: 'User' });
  });

  it('redirects with the state and refuses a reused code', async () => {
    const query = await authorizeAs(fx.emulator.url, {
      client_id: fx.app.clientId,
      login: 'octo-demo',
      state: 'xyz',
    });
    expect(query.get('state')).toBe('xyz');
    const code = query.get('code') ?? '';
    const options = {
      clientType: 'github-app' as const,
      clientId: fx.app.clientId,
      clientSecret: fx.app.clientSecret,
      code,
      request,
    };
    await exchangeWebFlowCode(options);
    const reused = await failure(exchangeWebFlowCode(options));
    expect(reused.response?.data).toMatchObject({ error: 'bad_verification_code' });
  });

  it('refuses wrong client credentials with GitHub’s error body (HTTP 200)', async () => {
    const response = await fetch(`${fx.emulator.url}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: fx.app.clientId, client_secret: 'wrong', code: 'x' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      error: 'incorrect_client_credentials',
      error_description: expect.any(String) as string,
      error_uri: expect.any(String) as string,
    });
  });

  it('answers form-encoded unless JSON is asked for', async () => {
    const response = await fetch(`${fx.emulator.url}/login/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: fx.app.clientId,
        client_secret: fx.app.clientSecret,
        code: 'unknown',
      }),
    });
    expect(response.headers.get('content-type')).toMatch(/x-www-form-urlencoded/);
    expect(new URLSearchParams(await response.text()).get('error')).toBe('bad_verification_code');
  });

  it('checks the PKCE verifier (S256)', async () => {
    const verifier = 'a'.repeat(43) + 'verifier';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const exchange = async (codeVerifier: string) => {
      const query = await authorizeAs(fx.emulator.url, {
        client_id: fx.app.clientId,
        login: 'octo-demo',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const { data } = await request('POST /login/oauth/access_token', {
        baseUrl: fx.emulator.url,
        headers: { accept: 'application/json' },
        client_id: fx.app.clientId,
        client_secret: fx.app.clientSecret,
        code: query.get('code') ?? '',
        code_verifier: codeVerifier,
      } as never);
      return data as Record<string, unknown>;
    };
    expect(await exchange('wrong-verifier')).toMatchObject({ error: 'bad_verification_code' });
    expect(await exchange(verifier)).toMatchObject({
      access_token: expect.stringMatching(/^ghu_/) as string,
    });
  });

  it('redirects with redirect_uri_mismatch for an unregistered redirect URI', async () => {
    const query = await authorizeAs(fx.emulator.url, {
      client_id: fx.app.clientId,
      login: 'octo-demo',
      redirect_uri: 'https://evil.example/callback',
    });
    expect(query.get('error')).toBe('redirect_uri_mismatch');
  });

  it('rotates refresh tokens: the old refresh token and old access token stop working', async () => {
    const first = await signIn('octo-teammate');
    const options = {
      clientType: 'github-app' as const,
      clientId: fx.app.clientId,
      clientSecret: fx.app.clientSecret,
      request,
    };
    const { authentication: second } = await refreshToken({
      ...options,
      refreshToken: first.refreshToken ?? '',
    });
    expect(second.token).not.toBe(first.token);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const oldToken = await failure(
      request('GET /user', { headers: { authorization: `token ${first.token}` } }),
    );
    expect(oldToken.status).toBe(401);
    const reused = await failure(refreshToken({ ...options, refreshToken: first.refreshToken ?? '' }));
    expect(reused.response?.data).toMatchObject({ error: 'bad_refresh_token' });
    await expect(
      request('GET /user', { headers: { authorization: `token ${second.token}` } }),
    ).resolves.toMatchObject({ status: 200 });
  });

  it('expires user tokens after 8 hours and refresh tokens after 6 months, by the emulator clock', async () => {
    const session = await signIn('octo-teammate');
    const options = {
      clientType: 'github-app' as const,
      clientId: fx.app.clientId,
      clientSecret: fx.app.clientSecret,
      request,
    };
    await fx.admin.advanceClock(8 * 3600 + 1);
    expect(
      (await failure(request('GET /user', { headers: { authorization: `token ${session.token}` } }))).status,
    ).toBe(401);
    const { authentication } = await refreshToken({ ...options, refreshToken: session.refreshToken ?? '' });
    await fx.admin.advanceClock(184 * 24 * 3600);
    const stale = await failure(refreshToken({ ...options, refreshToken: authentication.refreshToken }));
    expect(stale.response?.data).toMatchObject({ error: 'bad_refresh_token' });
  });

  it('revokes a token, and revokes the whole grant with a github_app_authorization webhook', async () => {
    const options = {
      clientType: 'github-app' as const,
      clientId: fx.app.clientId,
      clientSecret: fx.app.clientSecret,
      request,
    };
    const one = await signIn('octo-teammate');
    await deleteToken({ ...options, token: one.token });
    expect(
      (await failure(request('GET /user', { headers: { authorization: `token ${one.token}` } }))).status,
    ).toBe(401);

    const two = await signIn('octo-teammate');
    const three = await signIn('octo-teammate');
    const before = fx.receiver.hooks.length;
    await deleteAuthorization({ ...options, token: two.token });
    expect(
      (await failure(request('GET /user', { headers: { authorization: `token ${three.token}` } }))).status,
    ).toBe(401);
    const hook = fx.receiver.hooks
      .slice(before)
      .find((h) => h.headers['x-github-event'] === 'github_app_authorization');
    expect(JSON.parse(hook?.body ?? '{}')).toMatchObject({
      action: 'revoked',
      sender: { login: 'octo-teammate' },
    });
  });

  it('issues non-expiring tokens without refresh tokens when the App opts out', async () => {
    const plain = await startEmulatorFixture({ expiringUserTokens: false });
    try {
      await plain.admin.createUser({ login: 'solo' });
      const query = await authorizeAs(plain.emulator.url, { client_id: plain.app.clientId, login: 'solo' });
      const response = await fetch(`${plain.emulator.url}/login/oauth/access_token`, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: plain.app.clientId,
          client_secret: plain.app.clientSecret,
          code: query.get('code'),
        }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toEqual({
        access_token: expect.stringMatching(/^ghu_/) as string,
        scope: '',
        token_type: 'bearer',
      });
    } finally {
      await plain.close();
    }
  });
});
