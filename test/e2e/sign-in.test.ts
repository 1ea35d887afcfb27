import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { refreshToken } from '@octokit/oauth-methods';
import { request as octokitRequest } from '@octokit/request';
import { getUserTokens } from '../../functions/shared/auth/context.js';
import { UserTokens, LEASE_MS } from '../../functions/shared/auth/user-tokens.js';
import { ReauthorizationRequiredError, UpstreamError } from '../../functions/shared/errors.js';
import { getCrypto, getServices } from '../../functions/shared/services.js';
import { UserStore } from '../../functions/shared/store/user-store.js';
import { captureOutput } from '../support/capture-output.js';
import { api, cookiesSet, FRONTEND, signIn, startService, type ServiceFixture } from '../support/service.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
let fx: ServiceFixture;
const output = captureOutput();

beforeAll(async () => {
  fx = await startService();
  await fx.admin.createUser({ login: 'octo-demo', name: 'Octo Demo' });
  await fx.admin.createUser({ login: 'octo-teammate' });
  await fx.admin.createUser({
    login: 'octo-org',
    type: 'Organization',
    members: ['octo-demo', 'octo-teammate'],
  });
  await fx.admin.install({ appId: Number(fx.secrets.githubApp.appId), account: 'octo-demo' });
});
afterAll(async () => {
  output.restore();
  await fx.close();
});

const userIdOf = (login: string) => fx.emulator.world.accountByLogin(login)?.id ?? 0;
const refreshGrants = async () =>
  (await fx.admin.calls('POST /login/oauth/access_token')).filter((c) => c.grantType === 'refresh_token');
// The lease is under test, not GitHub's timeout: 50 calls at once on a busy machine may outlast the
// service's 8 s per-call timeout (a CI run saw it), so the test's own calls wait longer.
const githubUser = (token: string) =>
  getServices()
    .github('GET /user', {
      headers: { authorization: `token ${token}` },
      request: { signal: AbortSignal.timeout(45_000) },
    })
    .then(({ data }) => data.login);

async function scanItems(prefix: string) {
  const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
  return Items.filter((item) => item.PK?.S?.startsWith(prefix));
}

describe('sign in with GitHub', () => {
  it('runs the whole flow and GET /me answers for the new session (cookie and bearer)', async () => {
    const result = await signIn(fx, 'octo-demo');
    expect(result.status).toBe(302);
    expect(result.location).toBe(`${FRONTEND}/home`);
    expect(result.authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(result.authorizeUrl.searchParams.get('redirect_uri')).toBe(`${fx.api.url}/auth/callback`);
    const me = await api(fx, result)('/me');
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({
      user: {
        id: userIdOf('octo-demo'),
        login: 'octo-demo',
        name: 'Octo Demo',
        avatarUrl: expect.any(String) as string,
      },
      accounts: [],
    });
    const asBrowser = await api(fx, result)('/me', { asBrowser: true });
    expect(asBrowser.status).toBe(200);
  });

  it('binds sign-in to the browser with an HttpOnly cookie, clears it on the callback and sets the session cookie HttpOnly, SameSite=Lax', async () => {
    const start = await fetch(`${fx.api.url}/auth/login`, { redirect: 'manual' });
    const [flowCookie = ''] = start.headers.getSetCookie();
    // Served over plain http here, so the plain names (over HTTPS: __Host- and Secure, see cookies tests).
    expect(flowCookie).toMatch(/^oauth_login=[^;]+; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
    const authorize = new URL(start.headers.get('location') ?? '');
    authorize.searchParams.set('login', 'octo-demo');
    const back = await fetch(authorize, { redirect: 'manual' });
    const done = await fetch(back.headers.get('location') ?? '', {
      redirect: 'manual',
      headers: { cookie: cookiesSet(start).join('; ') },
    });
    expect(done.headers.getSetCookie()).toEqual([
      'oauth_login=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax',
      expect.stringMatching(/^session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/),
    ]);
    expect(done.headers.get('location')).toBe(`${FRONTEND}/`);
  });

  it('refuses a replayed state with 400 invalid_state and exchanges no code', async () => {
    const first = await signIn(fx, 'octo-demo');
    await fx.admin.clearCalls();
    // The same browser (it still holds the flow cookie) opening the callback again.
    const replay = await fetch(first.callbackUrl, {
      redirect: 'manual',
      headers: { cookie: first.flowCookie },
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_state' });
    expect(replay.headers.getSetCookie()).toEqual([]);
    expect(await fx.admin.calls('POST /login/oauth/access_token')).toHaveLength(0);
  });

  it('refuses a missing or unknown state', async () => {
    const missing = await fetch(`${fx.api.url}/auth/callback?code=abc`, { redirect: 'manual' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'invalid_state' });
    const unknown = await fetch(`${fx.api.url}/auth/callback?code=abc&state=${'x'.repeat(43)}`, {
      redirect: 'manual',
    });
    expect(unknown.status).toBe(400);
  });

  it('refuses a forged returnTo with 400 and writes no state', async () => {
    const before = (await scanItems('STATE#')).length;
    for (const returnTo of [
      'https://evil.example/phish',
      '//evil.example/x',
      'javascript:alert(1)',
      `${FRONTEND}.evil.example/`,
    ]) {
      const response = await fetch(`${fx.api.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`, {
        redirect: 'manual',
      });
      expect([returnTo, response.status]).toEqual([returnTo, 400]);
      expect(await response.json()).toMatchObject({ error: 'invalid_return_to' });
    }
    expect((await scanItems('STATE#')).length).toBe(before);
  });

  it('brings GitHub’s access_denied and token errors back to the frontend, never a 500', async () => {
    const start = await fetch(`${fx.api.url}/auth/login?returnTo=${encodeURIComponent(`${FRONTEND}/x`)}`, {
      redirect: 'manual',
    });
    const authorize = new URL(start.headers.get('location') ?? '');
    authorize.searchParams.set('login', 'octo-demo');
    authorize.searchParams.set('deny', '1');
    const denied = await fetch(authorize, { redirect: 'manual' });
    const back = await fetch(denied.headers.get('location') ?? '', {
      redirect: 'manual',
      headers: { cookie: cookiesSet(start).join('; ') },
    });
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe(`${FRONTEND}/x?auth_error=access_denied`);

    const again = await fetch(`${fx.api.url}/auth/login`, { redirect: 'manual' });
    const state = new URL(again.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const badCode = await fetch(`${fx.api.url}/auth/callback?code=not-a-code&state=${state}`, {
      redirect: 'manual',
      headers: { cookie: cookiesSet(again).join('; ') },
    });
    expect(badCode.status).toBe(302);
    expect(badCode.headers.get('location')).toBe(`${FRONTEND}/?auth_error=bad_verification_code`);
  });
});

describe('sessions', () => {
  it('answers 401 to no session, a tampered one, an unknown one and an expired one', async () => {
    const { sessionId = '' } = await signIn(fx, 'octo-demo');
    const call = (id: string) => api(fx, { sessionId: id })('/me');
    expect((await fetch(`${fx.api.url}/me`)).status).toBe(401);
    const tampered = sessionId.slice(0, -1) + (sessionId.endsWith('A') ? 'B' : 'A');
    expect((await call(tampered)).status).toBe(401);
    expect((await call('not-a-session')).status).toBe(401);
    expect((await api(fx, { sessionId: tampered })('/me', { asBrowser: true })).status).toBe(401);

    const expiring = await signIn(fx, 'octo-demo');
    const sessions = await scanItems('SESSION#');
    const { UpdateItemCommand } = await import('@aws-sdk/client-dynamodb');
    for (const item of sessions) {
      await fx.table.raw.send(
        new UpdateItemCommand({
          TableName: fx.table.tableName,
          Key: { PK: item.PK ?? { S: '' }, SK: item.SK ?? { S: '' } },
          UpdateExpression: 'SET expiresAt = :past',
          ExpressionAttributeValues: { ':past': { N: String(Math.floor(Date.now() / 1000) - 1) } },
        }),
      );
    }
    expect((await api(fx, expiring)('/me')).status).toBe(401);
  });

  it('protects cookie-authenticated state changes from other origins, and signs out', async () => {
    const session = await signIn(fx, 'octo-demo');
    const send = api(fx, session);
    const crossSite = await send('/auth/logout', {
      method: 'POST',
      asBrowser: true,
      headers: { origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toMatchObject({ error: 'csrf_rejected' });
    expect((await send('/me')).status).toBe(200);

    const logout = await send('/auth/logout', { method: 'POST', asBrowser: true });
    expect(logout.status).toBe(204);
    expect(logout.headers.getSetCookie()[0]).toMatch(/^session=; .*Max-Age=0/);
    expect((await send('/me')).status).toBe(401);
  });
});

describe('user tokens', () => {
  it('50 concurrent callers with an expired access token cause exactly one refresh', async () => {
    const userId = userIdOf('octo-demo');
    await signIn(fx, 'octo-demo');
    await fx.admin.advanceClock(8 * 3600 + 60);
    await fx.admin.clearCalls();
    const tokens = await getUserTokens();
    const logins = await Promise.all(Array.from({ length: 50 }, () => tokens.withToken(userId, githubUser)));
    expect(new Set(logins)).toEqual(new Set(['octo-demo']));
    expect(await refreshGrants()).toHaveLength(1);
  });

  it('two separate processes sharing the table refresh exactly once between them', async () => {
    const userId = userIdOf('octo-demo');
    await signIn(fx, 'octo-demo');
    await fx.admin.advanceClock(8 * 3600 + 60);
    await fx.admin.clearCalls();
    const run = () =>
      new Promise<{ ok: number; failures: string[] }>((done, fail) => {
        const child = spawn(
          process.execPath,
          [resolve(root, 'node_modules/tsx/dist/cli.mjs'), 'test/support/token-worker.ts'],
          {
            cwd: root,
            env: {
              ...process.env,
              ...fx.env,
              USER_ID: String(userId),
              COUNT: '25',
              NODE_OPTIONS: '',
              POWERTOOLS_LOG_LEVEL: 'WARN',
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('exit', (code) => {
          const line = out.trim().split('\n').pop() ?? '';
          if (code !== 0) fail(new Error(`worker exited ${code}: ${out}`));
          else done(JSON.parse(line) as { ok: number; failures: string[] });
        });
      });
    const results = await Promise.all([run(), run()]);
    expect(results).toEqual([
      { ok: 25, failures: [] },
      { ok: 25, failures: [] },
    ]);
    expect(await refreshGrants()).toHaveLength(1);
  });

  async function storedRefreshToken(userId: number): Promise<string> {
    const stored = await getServices().users.getToken(userId);
    const { cipher } = await getCrypto();
    return cipher.decrypt(stored?.sealedRefreshToken ?? '', UserStore.tokenBinding(userId, 'refresh'));
  }

  async function expectReauthorization(userId: number) {
    const tokens = await getUserTokens();
    const error = await tokens.withToken(userId, githubUser).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect((error as ReauthorizationRequiredError).details).toEqual({ loginUrl: `${fx.api.url}/auth/login` });
    expect(await getServices().users.getToken(userId)).toBeUndefined();
    // The next sign-in recovers.
    await signIn(fx, 'octo-teammate');
    await expect(tokens.withToken(userId, githubUser)).resolves.toBe('octo-teammate');
  }

  it('a reused refresh token gives reauthorization_required, and signing in again recovers', async () => {
    const userId = userIdOf('octo-teammate');
    await signIn(fx, 'octo-teammate');
    // Someone spends the stored refresh token behind the service's back.
    await refreshToken({
      clientType: 'github-app',
      clientId: fx.secrets.githubApp.clientId,
      clientSecret: fx.secrets.githubApp.clientSecret,
      refreshToken: await storedRefreshToken(userId),
      request: octokitRequest.defaults({ baseUrl: fx.emulator.url }),
    });
    await expectReauthorization(userId);
  });

  it('a revoked authorization gives reauthorization_required', async () => {
    const userId = userIdOf('octo-teammate');
    await signIn(fx, 'octo-teammate');
    await fx.admin.call('POST', '/authorizations/revoke', { login: 'octo-teammate' });
    await expectReauthorization(userId);
  });

  it('a refresh token older than 6 months gives reauthorization_required', async () => {
    const userId = userIdOf('octo-teammate');
    await signIn(fx, 'octo-teammate');
    await fx.admin.advanceClock(184 * 24 * 3600);
    await expectReauthorization(userId);
  });

  it('GitHub failing on refresh answers 503 with Retry-After and leaves the stored pair intact', async () => {
    const userId = userIdOf('octo-teammate');
    await signIn(fx, 'octo-teammate');
    const before = await getServices().users.getToken(userId);
    await fx.admin.advanceClock(8 * 3600 + 60);
    await fx.admin.fault({ route: '/login/oauth/access_token', status: 502 });
    const tokens = await getUserTokens();
    const error = await tokens.withToken(userId, githubUser).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).statusCode).toBe(503);
    expect((error as UpstreamError).headers['Retry-After']).toMatch(/^\d+$/);
    const after = await getServices().users.getToken(userId);
    expect(after?.sealedRefreshToken).toBe(before?.sealedRefreshToken);
    expect(after?.version).toBe(before?.version);
    expect(after?.leaseId).toBeUndefined();
    await expect(tokens.withToken(userId, githubUser)).resolves.toBe('octo-teammate');
  });

  it('takes over a lease left by a crashed holder once it lapses, and gives up with 503 while it is live', async () => {
    const userId = userIdOf('octo-teammate');
    await signIn(fx, 'octo-teammate');
    await fx.admin.advanceClock(8 * 3600 + 60);
    const { users } = getServices();
    const stored = await users.getToken(userId);
    // A holder took the lease and died.
    const lease = await users.acquireRefreshLease(userId, stored?.version ?? 0, Date.now(), LEASE_MS);
    expect(lease).toBeDefined();
    let clock = Date.now();
    const { cipher } = await getCrypto();
    const refresh = async (token: string) => {
      const { authentication } = await refreshToken({
        clientType: 'github-app',
        clientId: fx.secrets.githubApp.clientId,
        clientSecret: fx.secrets.githubApp.clientSecret,
        refreshToken: token,
        request: getServices().github,
      });
      return authentication;
    };
    const patient = new UserTokens({
      users,
      cipher,
      refresh,
      loginUrl: 'x',
      now: () => clock,
      sleep: (ms) => Promise.resolve(void (clock += ms * 40)),
    });
    const current = await patient.get(userId);
    const rejected = patient.get(userId, { rejected: current });
    await expect(rejected).resolves.toMatch(/^ghu_/);
    expect((await users.getToken(userId))?.version).toBe((stored?.version ?? 0) + 1);

    const second = await users.getToken(userId);
    await users.acquireRefreshLease(userId, second?.version ?? 0, Date.now() + 10 * LEASE_MS, LEASE_MS);
    let frozen = Date.now();
    const impatient = new UserTokens({
      users,
      cipher,
      refresh,
      loginUrl: 'x',
      now: () => frozen,
      sleep: (ms) => Promise.resolve(void (frozen += ms * 10)),
    });
    const token = await impatient.get(userId);
    const busy = await impatient.get(userId, { rejected: token }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(busy).toBeInstanceOf(UpstreamError);
    expect((busy as UpstreamError).code).toBe('token_refresh_busy');
  });
});

describe('secrets stay secret', () => {
  it('after all of the above, the table holds no plaintext token', async () => {
    const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
    expect(Items.filter((item) => item.SK?.S === 'TOKEN').length).toBeGreaterThan(0);
    expect(JSON.stringify(Items)).not.toMatch(/gh[usr]_[\w-]{20}/);
    // Whatever was logged (the level is the test default) carries no token either.
    expect(output.text()).not.toMatch(/gh[usr]_[\w-]{20}/);
  });
});
