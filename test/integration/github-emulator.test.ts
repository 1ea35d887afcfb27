import { createHash, createSign } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { deleteAuthorization, deleteToken, exchangeWebFlowCode, refreshToken } from '@octokit/oauth-methods';
import { request as octokitRequest } from '@octokit/request';
import { verify } from '@octokit/webhooks-methods';
import { openApiTemplate } from '../../local/github-emulator/http.js';
import {
  authorizeAs,
  generateAppKeys,
  startEmulatorFixture,
  type EmulatorFixture,
} from '../support/emulator.js';
import { GitHubOpenApi } from '../support/openapi-validator.js';

let fx: EmulatorFixture;
let request: typeof octokitRequest;
let installations: { personal: number; org: number };

type Failure = {
  status: number;
  response?: { data?: Record<string, unknown>; headers?: Record<string, string> };
};
async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    return error as Failure;
  }
  throw new Error('expected the call to fail');
}

function craftJwt(privateKey: string, claims: Record<string, unknown>): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(privateKey, 'base64url');
  return `${header}.${payload}.${signature}`;
}

const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  fx = await startEmulatorFixture();
  request = octokitRequest.defaults({ baseUrl: fx.emulator.url });
  await fx.admin.createUser({ login: 'octo-demo', name: 'Octo Demo' });
  await fx.admin.createUser({ login: 'octo-teammate' });
  await fx.admin.createUser({ login: 'outsider' });
  await fx.admin.createUser({
    login: 'octo-org',
    type: 'Organization',
    members: ['octo-demo', 'octo-teammate'],
  });
  await fx.admin.createUser({ login: 'other-org', type: 'Organization', members: ['outsider'] });
  installations = {
    personal: (await fx.admin.install({ appId: fx.app.id, account: 'octo-demo' })).installation.id,
    org: (await fx.admin.install({ appId: fx.app.id, account: 'octo-org' })).installation.id,
  };
  await fx.admin.install({ appId: fx.app.id, account: 'other-org' });
});
afterAll(() => fx.close());

const appAuth = () =>
  createAppAuth({
    appId: fx.app.id,
    privateKey: fx.app.privateKey,
    clientId: fx.app.clientId,
    clientSecret: fx.app.clientSecret,
    request,
  });

async function signIn(
  login: string,
): Promise<{ token: string; refreshToken: string | undefined; expiresAt: string | undefined }> {
  const query = await authorizeAs(fx.emulator.url, { client_id: fx.app.clientId, login, state: 's' });
  const code = query.get('code') ?? '';
  const { authentication } = await exchangeWebFlowCode({
    clientType: 'github-app',
    clientId: fx.app.clientId,
    clientSecret: fx.app.clientSecret,
    code,
    request,
  });
  const withRefresh = authentication as { refreshToken?: string; expiresAt?: string };
  return {
    token: authentication.token,
    refreshToken: withRefresh.refreshToken,
    expiresAt: withRefresh.expiresAt,
  };
}

describe('App authentication (JWT)', () => {
  it('accepts the JWT @octokit/auth-app signs', async () => {
    const { token } = await appAuth()({ type: 'app' });
    const { data } = await request('GET /app/installations/{installation_id}', {
      installation_id: installations.org,
      headers: { authorization: `bearer ${token}` },
    });
    expect(data).toMatchObject({
      id: installations.org,
      account: { login: 'octo-org', type: 'Organization' },
      app_slug: 'platform-app',
    });
  });

  it('lists the App installations and the App itself', async () => {
    const { token } = await appAuth()({ type: 'app' });
    const headers = { authorization: `bearer ${token}` };
    const { data: list } = await request('GET /app/installations', { headers });
    expect(list.map((i) => (i.account && 'login' in i.account ? i.account.login : ''))).toEqual([
      'octo-demo',
      'octo-org',
      'other-org',
    ]);
    const { data: app } = await request('GET /app', { headers });
    expect(app).toMatchObject({ id: fx.app.id, slug: 'platform-app' });
  });

  it('refuses a JWT signed by another key', async () => {
    const other = generateAppKeys();
    const jwt = craftJwt(other.privateKey, { iss: fx.app.id, iat: now() - 30, exp: now() + 540 });
    const error = await failure(request('GET /app', { headers: { authorization: `bearer ${jwt}` } }));
    expect(error.status).toBe(401);
    expect(error.response?.data).toMatchObject({ message: 'A JSON web token could not be decoded' });
  });

  it('refuses an expired JWT', async () => {
    const jwt = craftJwt(fx.app.privateKey, { iss: fx.app.id, iat: now() - 700, exp: now() - 100 });
    const error = await failure(request('GET /app', { headers: { authorization: `bearer ${jwt}` } }));
    expect(error.status).toBe(401);
    expect(String(error.response?.data?.message)).toMatch(
      /'Expiration time' claim \('exp'\) must be a numeric value/,
    );
  });

  it('refuses a JWT that lives longer than 10 minutes, and one issued in the future', async () => {
    const long = craftJwt(fx.app.privateKey, { iss: fx.app.id, iat: now(), exp: now() + 3600 });
    const tooLong = await failure(request('GET /app', { headers: { authorization: `bearer ${long}` } }));
    expect(tooLong.response?.data?.message).toBe("'Expiration time' claim ('exp') is too far in the future");
    const future = craftJwt(fx.app.privateKey, { iss: fx.app.id, iat: now() + 300, exp: now() + 600 });
    const early = await failure(request('GET /app', { headers: { authorization: `bearer ${future}` } }));
    expect(String(early.response?.data?.message)).toMatch(/'Issued at' claim \('iat'\)/);
  });

  it('accepts the client id as issuer', async () => {
    const jwt = craftJwt(fx.app.privateKey, { iss: fx.app.clientId, iat: now() - 30, exp: now() + 540 });
    const { status } = await request('GET /app', { headers: { authorization: `bearer ${jwt}` } });
    expect(status).toBe(200);
  });

  it('answers App-only endpoints called with a user token as GitHub does', async () => {
    const { token } = await signIn('octo-demo');
    const error = await failure(
      request('GET /app/installations', { headers: { authorization: `token ${token}` } }),
    );
    expect(error.status).toBe(401);
  });
});

describe('installation access tokens', () => {
  it('mints a 1-hour token and it works until the emulator clock passes its expiry', async () => {
    const auth = appAuth();
    const authentication = await auth({ type: 'installation', installationId: installations.org });
    expect(authentication.token).toMatch(/^ghs_/);
    const lifetime = new Date(authentication.expiresAt).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(3590_000);
    expect(lifetime).toBeLessThanOrEqual(3600_000);
    const headers = { authorization: `token ${authentication.token}` };
    await expect(
      request('POST /orgs/{org}/repos', { org: 'octo-org', name: 'before-expiry', headers }),
    ).resolves.toMatchObject({ status: 201 });
    await fx.admin.advanceClock(3601);
    const error = await failure(
      request('POST /orgs/{org}/repos', { org: 'octo-org', name: 'after-expiry', headers }),
    );
    expect(error.status).toBe(401);
    expect(error.response?.data).toMatchObject({ message: 'Bad credentials' });
  });

  it('narrows to repositories and permissions, and refuses to widen', async () => {
    const { token: jwt } = await appAuth()({ type: 'app' });
    const headers = { authorization: `bearer ${jwt}` };
    const { data } = await request('POST /app/installations/{installation_id}/access_tokens', {
      installation_id: installations.org,
      repositories: ['before-expiry'],
      permissions: { contents: 'read' },
      headers,
    });
    expect(data.permissions).toEqual({ contents: 'read' });
    expect(data.repository_selection).toBe('selected');
    expect(data.repositories?.map((repo) => repo.name)).toEqual(['before-expiry']);

    const widened = await failure(
      request('POST /app/installations/{installation_id}/access_tokens', {
        installation_id: installations.org,
        permissions: { members: 'write' },
        headers,
      }),
    );
    expect(widened.status).toBe(422);
    const unknownRepo = await failure(
      request('POST /app/installations/{installation_id}/access_tokens', {
        installation_id: installations.org,
        repositories: ['not-there'],
        headers,
      }),
    );
    expect(unknownRepo.status).toBe(422);
  });

  it('a read-only token cannot write', async () => {
    const { token } = await appAuth()({
      type: 'installation',
      installationId: installations.org,
      permissions: { contents: 'read', administration: 'read' },
    });
    const error = await failure(
      request('POST /orgs/{org}/repos', {
        org: 'octo-org',
        name: 'nope',
        headers: { authorization: `token ${token}` },
      }),
    );
    expect(error.status).toBe(403);
    expect(error.response?.data).toMatchObject({ message: 'Resource not accessible by integration' });
  });

  it("answers 404 for another App's installation and 403 while suspended", async () => {
    const keys = generateAppKeys();
    const other = await fx.admin.registerApp({ slug: 'other-app', publicKey: keys.publicKey });
    const otherInstall = await fx.admin.install({ appId: other.id, account: 'octo-org' });
    const { token: jwt } = await appAuth()({ type: 'app' });
    const headers = { authorization: `bearer ${jwt}` };
    const foreign = await failure(
      request('POST /app/installations/{installation_id}/access_tokens', {
        installation_id: otherInstall.installation.id,
        headers,
      }),
    );
    expect(foreign.status).toBe(404);

    await fx.admin.suspend(installations.org);
    const suspended = await failure(
      request('POST /app/installations/{installation_id}/access_tokens', {
        installation_id: installations.org,
        headers,
      }),
    );
    expect(suspended.status).toBe(403);
    expect(suspended.response?.data?.message).toBe('This installation has been suspended');
    await fx.admin.unsuspend(installations.org);
  });
});

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

describe('GET /users/{username}', () => {
  it('answers the public profile by login (any case), and GitHub’s 404 for a login nobody holds', async () => {
    const { token } = await signIn('octo-teammate');
    const headers = { authorization: `token ${token}` };
    const { data } = await request('GET /users/{username}', { username: 'OCTO-DEMO', headers });
    expect(data).toMatchObject({
      login: 'octo-demo',
      id: fx.emulator.world.accountByLogin('octo-demo')?.id,
      type: 'User',
      user_view_type: 'public',
      name: 'Octo Demo',
      email: null,
    });
    const missing = await failure(request('GET /users/{username}', { username: 'no-such-login', headers }));
    expect(missing.status).toBe(404);
    expect(missing.response?.data).toMatchObject({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/users/users#get-a-user',
    });
    const badToken = await failure(
      request('GET /users/{username}', { username: 'octo-demo', headers: { authorization: 'token nope' } }),
    );
    expect(badToken.status).toBe(401);
  });

  it('after a rename the old login is free: it names nobody, then whoever takes it', async () => {
    await fx.admin.createUser({ login: 'renamed-rita' });
    const rita = fx.emulator.world.accountByLogin('renamed-rita')?.id;
    await fx.admin.renameUser('renamed-rita', 'rita-now');
    expect((await failure(request('GET /users/{username}', { username: 'renamed-rita' }))).status).toBe(404);
    expect((await request('GET /users/{username}', { username: 'rita-now' })).data.id).toBe(rita);
    const taker = await fx.admin.createUser({ login: 'renamed-rita' });
    const { data } = await request('GET /users/{username}', { username: 'renamed-rita' });
    expect(data.id).toBe(taker.id);
    expect(data.id).not.toBe(rita);
  });
});

describe('GET /user/installations', () => {
  it('lists only the installations the user can reach', async () => {
    const { token } = await signIn('octo-demo');
    const { data } = await request('GET /user/installations', {
      headers: { authorization: `token ${token}` },
    });
    expect(data.total_count).toBe(2);
    expect(data.installations.map((i) => i.id).sort()).toEqual(
      [installations.personal, installations.org].sort(),
    );
    const { token: outsider } = await signIn('outsider');
    const { data: theirs } = await request('GET /user/installations', {
      headers: { authorization: `token ${outsider}` },
    });
    expect(
      theirs.installations.map((i) => (i.account && 'login' in i.account ? i.account.login : '')),
    ).toEqual(['other-org']);
  });

  it('tells a user whether they can reach one installation (its repositories, or 404)', async () => {
    const { token } = await signIn('outsider');
    const headers = { authorization: `token ${token}` };
    const { data } = await request('GET /user/installations/{installation_id}/repositories', {
      installation_id:
        fx.emulator.world.installationFor(fx.app.id, fx.emulator.world.accountByLogin('other-org')?.id ?? 0)
          ?.id ?? 0,
      headers,
    });
    expect(data).toMatchObject({ total_count: 0, repository_selection: 'all' });
    const hidden = await failure(
      request('GET /user/installations/{installation_id}/repositories', {
        installation_id: installations.org,
        headers,
      }),
    );
    expect(hidden.status).toBe(404);
  });

  it('pages at 100 with Link headers', async () => {
    const wide = await startEmulatorFixture();
    try {
      await wide.admin.createUser({ login: 'busy' });
      for (let i = 0; i < 250; i++) {
        await wide.admin.createUser({ login: `org-${i}`, type: 'Organization', members: ['busy'] });
        await wide.admin.install({ appId: wide.app.id, account: `org-${i}` });
      }
      const query = await authorizeAs(wide.emulator.url, { client_id: wide.app.clientId, login: 'busy' });
      const wideRequest = octokitRequest.defaults({ baseUrl: wide.emulator.url });
      const { authentication } = await exchangeWebFlowCode({
        clientType: 'github-app',
        clientId: wide.app.clientId,
        clientSecret: wide.app.clientSecret,
        code: query.get('code') ?? '',
        request: wideRequest,
      });
      await wide.admin.clearCalls();
      const seen: number[] = [];
      let url: string | undefined = `${wide.emulator.url}/user/installations?per_page=100`;
      while (url) {
        const response: { data: unknown; headers: { link?: string } } = await wideRequest(`GET ${url}`, {
          headers: { authorization: `token ${authentication.token}` },
        });
        const data = response.data as { total_count: number; installations: Array<{ id: number }> };
        expect(data.total_count).toBe(250);
        seen.push(...data.installations.map((i) => i.id));
        url = /<([^>]+)>;\s*rel="next"/.exec(response.headers.link ?? '')?.[1];
      }
      expect(new Set(seen).size).toBe(250);
      expect(await wide.admin.calls('GET /user/installations')).toHaveLength(3);
    } finally {
      await wide.close();
    }
  });
});

describe('GET /user/memberships/orgs/{org}', () => {
  it("answers the user's role, 404 for non-members, 403 when the App lacks Members: read", async () => {
    await fx.admin.setOrgRole('octo-org', 'octo-demo', 'admin');
    const role = async (login: string, org: string) => {
      const { token } = await signIn(login);
      const { data } = await request('GET /user/memberships/orgs/{org}', {
        org,
        headers: { authorization: `token ${token}` },
      });
      return [data.state, data.role, data.organization.login, data.user?.login];
    };
    expect(await role('octo-demo', 'octo-org')).toEqual(['active', 'admin', 'octo-org', 'octo-demo']);
    expect(await role('octo-teammate', 'octo-org')).toEqual([
      'active',
      'member',
      'octo-org',
      'octo-teammate',
    ]);
    const { token } = await signIn('outsider');
    const headers = { authorization: `token ${token}` };
    expect(
      (await failure(request('GET /user/memberships/orgs/{org}', { org: 'octo-org', headers }))).status,
    ).toBe(404);
    await fx.admin.createUser({ login: 'narrow-org', type: 'Organization', admins: ['outsider'] });
    await fx.admin.install({ appId: fx.app.id, account: 'narrow-org', permissions: { metadata: 'read' } });
    const refused = await failure(
      request('GET /user/memberships/orgs/{org}', { org: 'narrow-org', headers }),
    );
    expect(refused.status).toBe(403);
    expect(refused.response?.data?.message).toBe('Resource not accessible by integration');
    await fx.admin.setOrgRole('octo-org', 'octo-demo', 'member');
    expect(await role('octo-demo', 'octo-org')).toEqual(['active', 'member', 'octo-org', 'octo-demo']);
    await fx.admin.setOrgRole('octo-org', 'octo-demo', 'admin');
  });
});

describe('repositories', () => {
  it('creates an org repository with an installation token and commits files in one commit', async () => {
    const { token } = await appAuth()({ type: 'installation', installationId: installations.org });
    const headers = { authorization: `token ${token}` };
    const { data: repo } = await request('POST /orgs/{org}/repos', {
      org: 'octo-org',
      name: 'service one',
      private: true,
      auto_init: true,
      headers,
    });
    expect(repo).toMatchObject({
      name: 'service-one',
      full_name: 'octo-org/service-one',
      private: true,
      default_branch: 'main',
    });
    const repoParams = { owner: 'octo-org', repo: 'service-one', headers };

    const { data: blob } = await request('POST /repos/{owner}/{repo}/git/blobs', {
      ...repoParams,
      content: Buffer.from('hello').toString('base64'),
      encoding: 'base64',
    });
    expect(blob.sha).toBe('b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0'); // git hash-object of "hello"
    const { data: tree } = await request('POST /repos/{owner}/{repo}/git/trees', {
      ...repoParams,
      tree: [
        { path: 'hello.txt', mode: '100644', type: 'blob', sha: blob.sha },
        { path: 'src/index.ts', mode: '100644', type: 'blob', content: 'export {};\n' },
      ],
    });
    const { data: commit } = await request('POST /repos/{owner}/{repo}/git/commits', {
      ...repoParams,
      message: 'Initial files',
      tree: tree.sha,
      parents: [],
    });
    expect(commit.author.name).toBe('platform-app[bot]');
    const { data: ref } = await request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
      ...repoParams,
      ref: 'heads/main',
      sha: commit.sha,
      force: true,
    });
    expect(ref.object.sha).toBe(commit.sha);

    const { data: commits } = await request('GET /repos/{owner}/{repo}/commits', repoParams);
    expect(commits.map((c) => c.sha)).toEqual([commit.sha]);
    const { data: file } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...repoParams,
      path: 'src/index.ts',
    });
    expect(Buffer.from((file as { content: string }).content, 'base64').toString()).toBe('export {};\n');
    const { data: root } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...repoParams,
      path: 'src',
    });
    expect(Array.isArray(root)).toBe(true);
    const { data: read } = await request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
      ...repoParams,
      ref: 'heads/main',
    });
    expect(read.object.sha).toBe(commit.sha);
    const { data: got } = await request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
      ...repoParams,
      commit_sha: commit.sha,
    });
    expect(got).toMatchObject({
      sha: commit.sha,
      tree: { sha: tree.sha },
      parents: [],
      message: 'Initial files',
    });
    const { data: fetched } = await request('GET /repos/{owner}/{repo}', repoParams);
    expect(fetched.full_name).toBe('octo-org/service-one');
  });

  it('refuses a non-fast-forward ref update without force, and git data on an empty repository', async () => {
    const { token } = await appAuth()({ type: 'installation', installationId: installations.org });
    const headers = { authorization: `token ${token}` };
    await request('POST /orgs/{org}/repos', { org: 'octo-org', name: 'empty-one', headers });
    const empty = await failure(
      request('POST /repos/{owner}/{repo}/git/blobs', {
        owner: 'octo-org',
        repo: 'empty-one',
        content: 'x',
        headers,
      }),
    );
    expect(empty.status).toBe(409);
    expect(empty.response?.data?.message).toBe('Git Repository is empty.');

    const params = { owner: 'octo-org', repo: 'service-one', headers };
    const { data: tree } = await request('POST /repos/{owner}/{repo}/git/trees', {
      ...params,
      tree: [{ path: 'x', mode: '100644', type: 'blob', content: 'x' }],
    });
    const { data: orphan } = await request('POST /repos/{owner}/{repo}/git/commits', {
      ...params,
      message: 'orphan',
      tree: tree.sha,
      parents: [],
    });
    const refused = await failure(
      request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
        ...params,
        ref: 'heads/main',
        sha: orphan.sha,
      }),
    );
    expect(refused.status).toBe(422);
    const { data: branch } = await request('POST /repos/{owner}/{repo}/git/refs', {
      ...params,
      ref: 'refs/heads/orphan',
      sha: orphan.sha,
    });
    expect(branch.ref).toBe('refs/heads/orphan');
  });

  it('answers 422 "name already exists" as GitHub does', async () => {
    const { token } = await appAuth()({ type: 'installation', installationId: installations.org });
    const error = await failure(
      request('POST /orgs/{org}/repos', {
        org: 'octo-org',
        name: 'SERVICE-ONE',
        headers: { authorization: `token ${token}` },
      }),
    );
    expect(error.status).toBe(422);
    expect(error.response?.data).toMatchObject({
      message: 'Repository creation failed.',
      errors: [
        {
          resource: 'Repository',
          code: 'custom',
          field: 'name',
          message: 'name already exists on this account',
        },
      ],
    });
  });

  it('creates a personal repository only with the user token, never with an installation token', async () => {
    const { token: installationToken } = await appAuth()({
      type: 'installation',
      installationId: installations.personal,
    });
    const refused = await failure(
      request('POST /orgs/{org}/repos', {
        org: 'octo-demo',
        name: 'mine',
        headers: { authorization: `token ${installationToken}` },
      }),
    );
    expect(refused.status).toBe(403);
    const viaUserEndpoint = await failure(
      request('POST /user/repos', { name: 'mine', headers: { authorization: `token ${installationToken}` } }),
    );
    expect(viaUserEndpoint.status).toBe(403);

    const { token } = await signIn('octo-demo');
    const { data } = await request('POST /user/repos', {
      name: 'mine',
      headers: { authorization: `token ${token}` },
    });
    expect(data).toMatchObject({ full_name: 'octo-demo/mine', owner: { login: 'octo-demo' } });
  });

  it('keeps other accounts’ repositories out of reach', async () => {
    const { token } = await appAuth()({ type: 'installation', installationId: installations.personal });
    const error = await failure(
      request('GET /repos/{owner}/{repo}', {
        owner: 'octo-org',
        repo: 'service-one',
        headers: { authorization: `token ${token}` },
      }),
    );
    expect(error.status).toBe(404);
  });
});

describe('webhooks', () => {
  it('delivers signed installation events with GitHub’s headers, and redelivers with the same GUID', async () => {
    await fx.admin.createUser({ login: 'hooked-org', type: 'Organization', members: ['octo-demo'] });
    const before = fx.receiver.hooks.length;
    const { installation } = await fx.admin.install({ appId: fx.app.id, account: 'hooked-org' });
    await fx.admin.suspend(installation.id);
    await fx.admin.unsuspend(installation.id);
    await fx.admin.uninstall(installation.id);
    const hooks = fx.receiver.hooks.slice(before);
    expect(hooks.map((hook) => (JSON.parse(hook.body) as { action: string }).action)).toEqual([
      'created',
      'suspend',
      'unsuspend',
      'deleted',
    ]);
    for (const hook of hooks) {
      expect(hook.headers).toMatchObject({
        'x-github-event': 'installation',
        'x-github-hook-installation-target-type': 'integration',
        'x-github-hook-installation-target-id': String(fx.app.id),
        'user-agent': expect.stringMatching(/^GitHub-Hookshot\//) as string,
        'content-type': 'application/json',
      });
      await expect(
        verify(fx.app.webhookSecret, hook.body, String(hook.headers['x-hub-signature-256'])),
      ).resolves.toBe(true);
    }
    const created = JSON.parse(hooks[0]?.body ?? '{}') as Record<string, unknown>;
    expect(created).toMatchObject({
      installation: { id: installation.id, account: { login: 'hooked-org' } },
      sender: { login: 'octo-demo' },
    });

    const guid = String(hooks[0]?.headers['x-github-delivery']);
    fx.receiver.setStatus(500);
    await fx.admin.redeliver(guid);
    fx.receiver.setStatus(200);
    const again = fx.receiver.hooks.at(-1);
    expect(again?.headers['x-github-delivery']).toBe(guid);
    expect(again?.body).toBe(hooks[0]?.body);
    const deliveries = (await fx.admin.deliveries()).filter((d) => d.guid === guid);
    expect(deliveries.map((d) => [d.redelivery, d.status_code])).toEqual([
      [false, 200],
      [true, 500],
    ]);
  });

  it('lists the App’s deliveries newest first by cursor, and redelivers one through the REST API', async () => {
    const { token } = await appAuth()({ type: 'app' });
    const headers = { authorization: `bearer ${token}` };
    await fx.admin.createUser({ login: 'paged-org', type: 'Organization' });
    fx.receiver.setStatus(503);
    const { installation } = await fx.admin.install({ appId: fx.app.id, account: 'paged-org' });
    fx.receiver.setStatus(200);
    await fx.admin.suspend(installation.id);
    await fx.admin.unsuspend(installation.id);

    const all = (await request('GET /app/hook/deliveries', { headers, per_page: 100 })).data;
    const ids = all.map((delivery) => Number(delivery.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const [unsuspend, suspend, created] = all;
    expect([unsuspend?.action, suspend?.action, created?.action]).toEqual([
      'unsuspend',
      'suspend',
      'created',
    ]);
    expect(created).toMatchObject({
      status: 'Invalid HTTP Response: 503',
      status_code: 503,
      redelivery: false,
      event: 'installation',
      installation_id: installation.id,
    });
    expect(suspend).toMatchObject({ status: 'OK', status_code: 200 });

    // Two at a time: the Link header's next URL carries the cursor of the next, older page.
    const first = await request('GET /app/hook/deliveries', { headers, per_page: 2 });
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.link ?? '')?.[1] ?? '';
    const cursor = new URL(next).searchParams.get('cursor') ?? '';
    expect(cursor).toMatch(/^v1_\d+$/);
    const second = await request('GET /app/hook/deliveries', { headers, per_page: 2, cursor });
    expect([...first.data, ...second.data].map((delivery) => delivery.id)).toEqual(
      all.slice(0, 4).map((delivery) => delivery.id),
    );
    const failed = await request('GET /app/hook/deliveries', { headers, per_page: 100, status: 'failure' });
    expect(failed.data.every((delivery) => delivery.status_code >= 400)).toBe(true);
    expect(failed.data.map((delivery) => delivery.id)).toContain(created?.id);

    const before = fx.receiver.hooks.length;
    const accepted = await request('POST /app/hook/deliveries/{delivery_id}/attempts', {
      headers,
      delivery_id: Number(created?.id ?? 0),
    });
    expect(accepted.status).toBe(202);
    expect(fx.receiver.hooks.slice(before).map((hook) => hook.headers['x-github-delivery'])).toEqual([
      created?.guid,
    ]);
    const [latest] = (await request('GET /app/hook/deliveries', { headers, per_page: 1 })).data;
    expect(latest).toMatchObject({ guid: created?.guid, redelivery: true, status: 'OK', status_code: 200 });

    expect(
      (
        await failure(
          request('POST /app/hook/deliveries/{delivery_id}/attempts', { headers, delivery_id: 999_999_999 }),
        )
      ).status,
    ).toBe(404);
    expect((await failure(request('GET /app/hook/deliveries', { per_page: 1 }))).status).toBe(401);
  });

  it('installs from the install page and sends the user back with installation_id and setup_action', async () => {
    await fx.admin.createUser({ login: 'fresh-org', type: 'Organization', members: ['octo-demo'] });
    const response = await fetch(
      `${fx.emulator.url}/apps/platform-app/installations/new?state=st&login=octo-demo&target=fresh-org`,
      { redirect: 'manual' },
    );
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.pathname).toBe('/auth/callback');
    expect(location.searchParams.get('setup_action')).toBe('install');
    expect(location.searchParams.get('state')).toBe('st');
    expect(location.searchParams.get('code')).toBeTruthy();
    const id = Number(location.searchParams.get('installation_id'));
    expect(fx.emulator.world.installations.get(id)?.accountId).toBe(
      fx.emulator.world.accountByLogin('fresh-org')?.id,
    );

    const again = await fetch(
      `${fx.emulator.url}/apps/platform-app/installations/new?login=octo-demo&target=fresh-org`,
      { redirect: 'manual' },
    );
    expect(new URL(again.headers.get('location') ?? '').searchParams.get('setup_action')).toBe('update');
    const page = await fetch(`${fx.emulator.url}/apps/platform-app/installations/new?login=octo-demo`);
    expect(await page.text()).toContain('fresh-org');
  });
});

describe('faults, rate limits and the call log', () => {
  it('answers the next matching calls with an injected failure, then recovers', async () => {
    const { token } = await signIn('octo-demo');
    const headers = { authorization: `token ${token}` };
    await fx.admin.fault({ method: 'GET', route: '/user/installations', status: 502, count: 2 });
    expect((await failure(request('GET /user/installations', { headers }))).status).toBe(502);
    expect((await failure(request('GET /user/installations', { headers }))).status).toBe(502);
    await expect(request('GET /user/installations', { headers })).resolves.toMatchObject({ status: 200 });
  });

  it('can answer as a rate limit with retry-after', async () => {
    const { token } = await signIn('octo-demo');
    await fx.admin.fault({
      route: '/user',
      status: 403,
      headers: { 'retry-after': '30', 'x-ratelimit-remaining': '0' },
      body: {
        message: 'API rate limit exceeded for user ID 1.',
        documentation_url: 'https://docs.github.com/rest',
      },
    });
    const error = await failure(
      request('GET /user', {
        headers: { authorization: `token ${token}` },
        request: { retries: 0 },
      } as never),
    );
    expect(error.status).toBe(403);
    expect(error.response?.headers?.['retry-after']).toBe('30');
  });

  it('can drop the connection', async () => {
    await fx.admin.fault({ route: '/app', mode: 'reset' });
    await expect(fetch(`${fx.emulator.url}/app`)).rejects.toThrow();
  });

  it('can let GitHub act and then lose or delay the answer', async () => {
    const { token, refreshToken: first } = await signIn('octo-teammate');
    expect(first).toBeDefined();
    await fx.admin.fault({ route: '/login/oauth/access_token', mode: 'act-then-reset' });
    const refresh = () =>
      refreshToken({
        clientType: 'github-app',
        clientId: fx.app.clientId,
        clientSecret: fx.app.clientSecret,
        refreshToken: first ?? '',
        request,
      });
    await expect(refresh()).rejects.toThrow();
    // GitHub rotated before the answer was lost: the refresh token and the old access token are spent.
    expect((await failure(refresh())).status).toBe(400);
    expect(
      (await failure(request('GET /user', { headers: { authorization: `token ${token}` } }))).status,
    ).toBe(401);

    const { token: other } = await signIn('outsider');
    await fx.admin.fault({ route: '/user', mode: 'act-then-delay', delayMs: 300 });
    const { data } = await request('GET /user', { headers: { authorization: `token ${other}` } });
    expect(data.login).toBe('outsider');
    expect((await fx.admin.calls('GET /user')).at(-1)).toMatchObject({ status: 200 });
  });

  it('puts rate-limit headers on every answer and logs each call with its credential kind', async () => {
    const response = await fetch(`${fx.emulator.url}/user`);
    expect(response.status).toBe(401);
    expect(response.headers.get('x-ratelimit-limit')).toBe('60');
    expect(response.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
    const calls = await fx.admin.calls();
    const kinds = new Set(calls.map((call) => call.credential));
    expect([...kinds]).toEqual(
      expect.arrayContaining(['app_jwt', 'installation_token', 'user_token', 'client_basic', 'none']),
    );
    const grants = calls
      .filter((call) => call.route === '/login/oauth/access_token')
      .map((call) => call.grantType);
    expect(grants).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
  });

  it('waits the configured latency on REST answers: sequential calls add up, parallel ones overlap', async () => {
    await fx.admin.setLatency(150);
    try {
      // The call log stays whole (the OpenAPI check below reads it): only this test's calls are looked at.
      const before = (await fx.admin.calls()).length;
      await fetch(`${fx.emulator.url}/user`);
      await fetch(`${fx.emulator.url}/user`);
      await Promise.all([fetch(`${fx.emulator.url}/app`), fetch(`${fx.emulator.url}/app`)]);
      const calls = (await fx.admin.calls()).slice(before);
      expect(calls).toHaveLength(4);
      for (const call of calls) expect(call.endMs - call.startMs).toBeGreaterThanOrEqual(150);
      const [first, second, third, fourth] = calls as [
        (typeof calls)[0],
        (typeof calls)[0],
        (typeof calls)[0],
        (typeof calls)[0],
      ];
      expect(second.startMs).toBeGreaterThanOrEqual(first.endMs); // one after the other
      expect(Math.max(third.startMs, fourth.startMs)).toBeLessThan(Math.min(third.endMs, fourth.endMs)); // overlapping
    } finally {
      await fx.admin.setLatency(0);
    }
  });
});

describe('control API: repositories', () => {
  it('creates repositories with one commit of their files, as templates or private if asked', async () => {
    const made = await fx.admin.createRepositories('octo-org', {
      names: ['seeded-template'],
      isTemplate: true,
      private: true,
      files: { 'package.json': '{"name":"seeded"}\n', 'src/index.ts': 'export {};\n' },
    });
    expect(made).toEqual([{ id: expect.any(Number), fullName: 'octo-org/seeded-template' }]);
    const bulk = await fx.admin.createRepositories('octo-org', { count: 3, prefix: 'bulk' });
    expect(bulk.map((repo) => repo.fullName)).toEqual([
      'octo-org/bulk-0001',
      'octo-org/bulk-0002',
      'octo-org/bulk-0003',
    ]);
    const { token } = await appAuth()({ type: 'installation', installationId: installations.org });
    const headers = { authorization: `token ${token}` };
    const { data: repo } = await request('GET /repos/{owner}/{repo}', {
      owner: 'octo-org',
      repo: 'seeded-template',
      headers,
    });
    expect(repo).toMatchObject({ is_template: true, private: true, archived: false, default_branch: 'main' });
    const { data: file } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: 'octo-org',
      repo: 'seeded-template',
      path: 'src/index.ts',
      headers,
    });
    expect(Buffer.from((file as { content: string }).content, 'base64').toString()).toBe('export {};\n');
    await expect(fx.admin.createRepositories('octo-org', { names: ['bulk-0001'] })).rejects.toThrow(/taken/);
  });
});

describe('git trees, blobs and contents', () => {
  const big = Buffer.alloc(1024 * 1024 + 1, 7);
  let params: { owner: string; repo: string; headers: { authorization: string } };
  beforeAll(async () => {
    params = await seeded();
  });
  async function seeded() {
    const repo = fx.emulator.world.createRepository({
      ownerId: fx.emulator.world.accountByLogin('octo-org')?.id ?? 0,
      name: 'tree-repo',
      description: null,
      private: true,
    });
    fx.emulator.world.commitFiles(
      repo,
      { 'README.md': '# tree\n', 'src/a.ts': 'a\n', 'src/lib/b.ts': 'b\n', 'big.bin': big },
      'Initial commit',
    );
    repo.git.refs.set('refs/tags/v1', repo.git.refs.get('refs/heads/main') ?? '');
    const { token } = await appAuth()({ type: 'installation', installationId: installations.org });
    return { owner: 'octo-org', repo: 'tree-repo', headers: { authorization: `token ${token}` } };
  }

  it('answers a tree by tree sha, commit sha, branch, tag or HEAD; recursive for any value; truncated over the limit', async () => {
    const head = fx.emulator.world.repository('octo-org', 'tree-repo')?.git.refs.get('refs/heads/main') ?? '';
    const { data: top } = await request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
      ...params,
      tree_sha: 'main',
    });
    expect(top.truncated).toBe(false);
    expect(top.tree.map((entry) => [entry.path, entry.type])).toEqual([
      ['README.md', 'blob'],
      ['big.bin', 'blob'],
      ['src', 'tree'],
    ]);
    for (const name of [head, top.sha, 'v1', 'HEAD', 'refs/heads/main']) {
      const { data } = await request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        ...params,
        tree_sha: name,
      });
      expect(data.sha).toBe(top.sha);
    }
    for (const recursive of ['1', '0', 'false']) {
      const { data } = await request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        ...params,
        tree_sha: 'main',
        recursive,
      });
      expect(data.tree.map((entry) => entry.path)).toEqual([
        'README.md',
        'big.bin',
        'src',
        'src/a.ts',
        'src/lib',
        'src/lib/b.ts',
      ]);
      expect(data.tree.find((entry) => entry.path === 'src/a.ts')).toMatchObject({ mode: '100644', size: 2 });
      expect(data.tree.find((entry) => entry.path === 'src')?.size).toBeUndefined();
    }
    expect(
      (
        await failure(
          request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', { ...params, tree_sha: 'nope' }),
        )
      ).status,
    ).toBe(404);

    await fx.admin.call('PUT', '/limits/trees', { maxEntries: 4 });
    try {
      const { data } = await request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        ...params,
        tree_sha: 'main',
        recursive: '1',
      });
      expect(data.truncated).toBe(true);
      expect(data.tree).toHaveLength(4);
    } finally {
      await fx.admin.call('DELETE', '/limits/trees');
    }
  });

  it('answers contents as GitHub does (files, directories, files over 1 MB without content), blobs and branches', async () => {
    const { data: dir } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...params,
      path: 'src',
    });
    expect(Array.isArray(dir) && dir.map((entry) => [entry.path, entry.type])).toEqual([
      ['src/a.ts', 'file'],
      ['src/lib', 'dir'],
    ]);
    const { data: large } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...params,
      path: 'big.bin',
    });
    expect(large).toMatchObject({ type: 'file', size: big.length, encoding: 'none', content: '' });
    const { data: blob } = await request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', {
      ...params,
      file_sha: (large as { sha: string }).sha,
    });
    expect(blob.encoding).toBe('base64');
    expect(Buffer.from(blob.content, 'base64').equals(big)).toBe(true);
    const { data: branch } = await request('GET /repos/{owner}/{repo}/branches/{branch}', {
      ...params,
      branch: 'main',
    });
    const head = fx.emulator.world.repository('octo-org', 'tree-repo')?.git.refs.get('refs/heads/main');
    expect(branch).toMatchObject({ name: 'main', protected: false, commit: { sha: head } });
    const noBranch = await failure(
      request('GET /repos/{owner}/{repo}/branches/{branch}', { ...params, branch: 'nope' }),
    );
    expect([noBranch.status, noBranch.response?.data?.message]).toEqual([404, 'Branch not found']);
    const missingRef = await failure(
      request('GET /repos/{owner}/{repo}/contents/{path}', { ...params, path: 'README.md', ref: 'nope' }),
    );
    expect(missingRef.status).toBe(404);
    expect(missingRef.response?.data?.message).toMatch(/No commit found for the ref nope/);
    expect(
      (await failure(request('GET /repos/{owner}/{repo}/contents/{path}', { ...params, path: 'missing' })))
        .status,
    ).toBe(404);
  });
});

describe('POST /repos/{template_owner}/{template_repo}/generate', () => {
  const generate = (template: string, body: Record<string, unknown>, token: string) =>
    request('POST /repos/{template_owner}/{template_repo}/generate', {
      template_owner: template.split('/')[0] ?? '',
      template_repo: template.split('/')[1] ?? '',
      name: '',
      ...body,
      headers: { authorization: `token ${token}` },
    });
  const orgToken = async () =>
    (await appAuth()({ type: 'installation', installationId: installations.org })).token;

  beforeAll(async () => {
    await fx.admin.createRepositories('octo-org', {
      names: ['gen-template'],
      isTemplate: true,
      private: true,
      files: { 'README.md': '# template\n', 'src/index.ts': 'export const x = 1;\n' },
    });
    await fx.admin.createRepositories('octo-org', { names: ['gen-plain'], private: true });
    await fx.admin.createRepositories('other-org', {
      names: ['public-template'],
      isTemplate: true,
      files: { LICENSE: 'MIT\n' },
    });
    await fx.admin.createRepositories('other-org', {
      names: ['private-template'],
      isTemplate: true,
      private: true,
    });
    // A second branch on the template, for include_all_branches.
    const template = fx.emulator.world.repository('octo-org', 'gen-template');
    if (!template) throw new Error('no template');
    const main = template.git.refs.get('refs/heads/main') ?? '';
    const who = { name: 'x', email: 'x@example.com', date: new Date().toISOString() };
    const tree = template.git.buildTree(template.git.commits.get(main)?.tree, [
      { path: 'DEV.md', mode: '100644', type: 'blob', sha: template.git.putBlob(Buffer.from('dev\n')) },
    ]);
    const dev = template.git.putCommit({
      tree,
      parents: [main],
      message: 'dev',
      author: who,
      committer: who,
    });
    template.git.refs.set('refs/heads/dev', dev.sha);
  });

  it('generates an org repository with an installation token: a fresh history of the template’s tree', async () => {
    const token = await orgToken();
    const headers = { authorization: `token ${token}` };
    const { status, data } = await generate(
      'octo-org/gen-template',
      { owner: 'octo-org', name: 'from-template', private: true, description: 'made from a template' },
      token,
    );
    expect(status).toBe(201);
    expect(data).toMatchObject({
      full_name: 'octo-org/from-template',
      private: true,
      description: 'made from a template',
      is_template: false,
      template_repository: { full_name: 'octo-org/gen-template', is_template: true },
    });
    const { data: commits } = await request('GET /repos/{owner}/{repo}/commits', {
      owner: 'octo-org',
      repo: 'from-template',
      headers,
    });
    expect(commits.map((commit) => commit.commit.message)).toEqual(['Initial commit']);
    const template = fx.emulator.world.repository('octo-org', 'gen-template');
    const templateHead = template?.git.commits.get(template.git.refs.get('refs/heads/main') ?? '');
    expect(commits[0]?.commit.tree.sha).toBe(templateHead?.tree);
    expect(commits[0]?.parents).toEqual([]);
    expect(commits[0]?.commit.author?.name).toBe('platform-app[bot]');
    const { data: file } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: 'octo-org',
      repo: 'from-template',
      path: 'src/index.ts',
      headers,
    });
    expect(Buffer.from((file as { content: string }).content, 'base64').toString()).toBe(
      'export const x = 1;\n',
    );
    const { data: read } = await request('GET /repos/{owner}/{repo}', {
      owner: 'octo-org',
      repo: 'from-template',
      headers,
    });
    expect(read.template_repository?.full_name).toBe('octo-org/gen-template');
    // Only the default branch unless all branches are asked for.
    expect(fx.emulator.world.repository('octo-org', 'from-template')?.git.refs.size).toBe(1);
  });

  it('takes every branch’s head with include_all_branches, each as one fresh commit', async () => {
    const { data } = await generate(
      'octo-org/gen-template',
      { name: 'all-branches', include_all_branches: true },
      await orgToken(),
    );
    expect(data.full_name).toBe('octo-org/all-branches');
    const repo = fx.emulator.world.repository('octo-org', 'all-branches');
    expect([...(repo?.git.refs.keys() ?? [])].sort()).toEqual(['refs/heads/dev', 'refs/heads/main']);
    const dev = repo?.git.commits.get(repo.git.refs.get('refs/heads/dev') ?? '');
    expect(dev).toMatchObject({ message: 'Initial commit', parents: [] });
    expect(repo?.git.resolvePath(dev?.sha ?? '', 'DEV.md')).toMatchObject({ kind: 'blob' });
  });

  it('answers as GitHub does: not a template or not readable 404, name taken 422, wrong owner 403', async () => {
    const token = await orgToken();
    expect((await failure(generate('octo-org/gen-plain', { name: 'nope' }, token))).status).toBe(404);
    expect((await failure(generate('octo-org/missing', { name: 'nope' }, token))).status).toBe(404);
    // Another account's private template is out of this installation's reach, even with the App there.
    expect((await failure(generate('other-org/private-template', { name: 'nope' }, token))).status).toBe(404);
    const taken = await failure(generate('octo-org/gen-template', { name: 'from-template' }, token));
    expect(taken.status).toBe(422);
    expect(JSON.stringify(taken.response?.data)).toMatch(/name already exists/);
    // An installation token creates only in its own organisation.
    for (const owner of ['other-org', 'octo-demo']) {
      expect((await failure(generate('octo-org/gen-template', { owner, name: 'nope' }, token))).status).toBe(
        403,
      );
    }
    const personal = (await appAuth()({ type: 'installation', installationId: installations.personal }))
      .token;
    expect((await failure(generate('other-org/public-template', { name: 'nope' }, personal))).status).toBe(
      403,
    );
    expect(fx.emulator.world.repository('octo-org', 'nope')).toBeUndefined();
    // A public template is readable by any installation.
    const { data } = await generate('other-org/public-template', { name: 'from-public' }, token);
    expect(data.template_repository?.full_name).toBe('other-org/public-template');
  });

  it('lets a user token generate into the user’s own account from a template reached through the App', async () => {
    const { token } = await signIn('octo-demo');
    const { data } = await generate('octo-org/gen-template', { name: 'my-copy', private: true }, token);
    expect(data).toMatchObject({ full_name: 'octo-demo/my-copy', owner: { login: 'octo-demo' } });
    const copy = fx.emulator.world.repository('octo-demo', 'my-copy');
    const head = copy?.git.commits.get(copy.git.refs.get('refs/heads/main') ?? '');
    expect(head?.author.name).toBe('Octo Demo');
    // Not into an organisation they do not belong to; and an outsider cannot read the private template.
    expect(
      (await failure(generate('octo-org/gen-template', { owner: 'other-org', name: 'x' }, token))).status,
    ).toBe(403);
    const outsider = (await signIn('outsider')).token;
    expect((await failure(generate('octo-org/gen-template', { name: 'x' }, outsider))).status).toBe(404);
  });

  it('lets a user token generate into an organisation of theirs where the App is installed', async () => {
    const { token } = await signIn('octo-teammate');
    const { data } = await generate('octo-org/gen-template', { owner: 'octo-org', name: 'team-copy' }, token);
    expect(data).toMatchObject({ full_name: 'octo-org/team-copy', owner: { login: 'octo-org' } });
  });

  it('adds what the App generates to an installation with selected repositories', async () => {
    const otherOrg = fx.emulator.world.accountByLogin('other-org');
    const installation = fx.emulator.world.installationFor(fx.app.id, otherOrg?.id ?? 0);
    if (!installation) throw new Error('no installation on other-org');
    installation.repositorySelection = 'selected';
    try {
      const { token } = await appAuth()({ type: 'installation', installationId: installation.id });
      const { data } = await generate('other-org/public-template', { name: 'selected-copy' }, token);
      expect(installation.selectedRepositoryIds.has(Number(data.id))).toBe(true);
      const { data: read } = await request('GET /repos/{owner}/{repo}', {
        owner: 'other-org',
        repo: 'selected-copy',
        headers: { authorization: `token ${token}` },
      });
      expect(read.template_repository?.full_name).toBe('other-org/public-template');
    } finally {
      installation.repositorySelection = 'all';
    }
  });
});

describe('repository settings and repository events', () => {
  /** A second App, subscribed to `repository`, whose deliveries the receiver records. */
  let watcher: { id: number; clientId: string; clientSecret: string; privateKey: string };
  let watched: { org: number; selected: number; personal: number };
  const openapi = new GitHubOpenApi();

  beforeAll(async () => {
    const keys = generateAppKeys();
    const app = await fx.admin.registerApp({
      slug: 'repo-watcher',
      publicKey: keys.publicKey,
      webhookUrl: `${fx.receiver.url}/webhooks/github`,
      webhookSecret: fx.app.webhookSecret,
      callbackUrls: [`${fx.receiver.url}/auth/callback`],
      events: ['repository'],
    });
    watcher = { ...app, privateKey: keys.privateKey };
    await fx.admin.createUser({ login: 'settings-owner' });
    await fx.admin.createUser({ login: 'settings-org', type: 'Organization', admins: ['settings-owner'] });
    await fx.admin.createUser({ login: 'selected-org', type: 'Organization', admins: ['settings-owner'] });
    await fx.admin.createRepositories('selected-org', { names: ['chosen', 'not-chosen'] });
    watched = {
      org: (await fx.admin.install({ appId: watcher.id, account: 'settings-org' })).installation.id,
      selected: (
        await fx.admin.install({
          appId: watcher.id,
          account: 'selected-org',
          repositorySelection: 'selected',
          repositories: ['chosen'],
        })
      ).installation.id,
      personal: (await fx.admin.install({ appId: watcher.id, account: 'settings-owner' })).installation.id,
    };
    // The suite's own App is installed too, but not subscribed to `repository`: it hears nothing.
    await fx.admin.install({ appId: fx.app.id, account: 'settings-org' });
  });

  const watcherAuth = () =>
    createAppAuth({
      appId: watcher.id,
      privateKey: watcher.privateKey,
      clientId: watcher.clientId,
      clientSecret: watcher.clientSecret,
      request,
    });
  const tokenFor = async (installationId: number, permissions?: Record<string, string>) => {
    const { token } = await watcherAuth()({
      type: 'installation',
      installationId,
      ...(permissions ? { permissions } : {}),
    });
    return { authorization: `token ${token}` };
  };

  type Hook = { event: string; installation: number | undefined; payload: Record<string, unknown> };
  /** What the receiver got while `act` ran: event, installation and payload of each delivery. */
  async function hooksDuring(act: () => Promise<unknown>): Promise<Hook[]> {
    const before = fx.receiver.hooks.length;
    await act();
    return fx.receiver.hooks.slice(before).map((hook) => {
      const payload = JSON.parse(hook.body) as Record<string, unknown>;
      return {
        event: String(hook.headers['x-github-event']),
        installation: (payload.installation as { id?: number } | undefined)?.id,
        payload,
      };
    });
  }
  /** Each `repository` payload matches GitHub's webhook schema for its action. */
  function expectGitHubShapes(hooks: Hook[]) {
    for (const hook of hooks) {
      const schema = `webhook-${hook.event.replace(/_/g, '-')}-${String(hook.payload.action)}`;
      expect([schema, openapi.validateSchema(schema, hook.payload)]).toEqual([schema, []]);
    }
  }
  const summary = (hooks: Hook[]) =>
    hooks.map((hook) => [hook.event, hook.payload.action, hook.installation]);

  it('PATCH renames (same id), edits, changes visibility and makes a template, with one event per change', async () => {
    const headers = await tokenFor(watched.org);
    const created = await hooksDuring(() =>
      request('POST /orgs/{org}/repos', { org: 'settings-org', name: 'app-one', auto_init: true, headers }),
    );
    expect(summary(created)).toEqual([['repository', 'created', watched.org]]);
    expectGitHubShapes(created);
    expect(created[0]?.payload).toMatchObject({
      organization: { login: 'settings-org' },
      installation: { id: watched.org, node_id: expect.any(String) as string },
      sender: { login: 'repo-watcher[bot]', type: 'Bot' },
      repository: { full_name: 'settings-org/app-one' },
    });
    const { data: before } = await request('GET /repos/{owner}/{repo}', {
      owner: 'settings-org',
      repo: 'app-one',
      headers,
    });

    let patched: Awaited<ReturnType<typeof request<'PATCH /repos/{owner}/{repo}'>>>['data'] | undefined;
    const hooks = await hooksDuring(async () => {
      ({ data: patched } = await request('PATCH /repos/{owner}/{repo}', {
        owner: 'settings-org',
        repo: 'app-one',
        name: 'app-renamed',
        description: 'The first app',
        visibility: 'private',
        is_template: true,
        headers,
      }));
    });
    expect(patched).toMatchObject({
      id: before.id,
      full_name: 'settings-org/app-renamed',
      description: 'The first app',
      private: true,
      visibility: 'private',
      is_template: true,
    });
    expect(summary(hooks)).toEqual([
      ['repository', 'renamed', watched.org],
      ['repository', 'edited', watched.org],
      ['repository', 'privatized', watched.org],
    ]);
    expectGitHubShapes(hooks);
    expect(hooks[0]?.payload.changes).toEqual({ repository: { name: { from: 'app-one' } } });
    expect(hooks[1]?.payload.changes).toEqual({ description: { from: null } });
    expect(
      (
        await failure(
          request('GET /repos/{owner}/{repo}', { owner: 'settings-org', repo: 'app-one', headers }),
        )
      ).status,
    ).toBe(404);

    const publicAgain = await hooksDuring(() =>
      request('PATCH /repos/{owner}/{repo}', {
        owner: 'settings-org',
        repo: 'app-renamed',
        private: false,
        headers,
      }),
    );
    expect(summary(publicAgain)).toEqual([['repository', 'publicized', watched.org]]);
    expectGitHubShapes(publicAgain);

    const nothing = await hooksDuring(() =>
      request('PATCH /repos/{owner}/{repo}', { owner: 'settings-org', repo: 'app-renamed', headers }),
    );
    expect(nothing).toEqual([]);
  });

  it('PATCH refuses what GitHub refuses, changing nothing', async () => {
    const headers = await tokenFor(watched.org);
    await fx.admin.createRepositories('settings-org', { names: ['refusals', 'taken'] });
    const patch = (body: Record<string, unknown>, auth = headers) =>
      failure(
        request('PATCH /repos/{owner}/{repo}', {
          owner: 'settings-org',
          repo: 'refusals',
          ...body,
          headers: auth,
        }),
      );
    const hooks = await hooksDuring(async () => {
      expect((await patch({ default_branch: 'no-such-branch' })).status).toBe(422);
      expect((await patch({ name: 'TAKEN' })).status).toBe(422);
      expect((await patch({ visibility: 'internal' })).status).toBe(422);
      expect((await patch({ private: 'yes' })).status).toBe(422);
      // Administration is needed: a token without it is refused.
      const contentsOnly = await tokenFor(watched.org, { contents: 'write' });
      const refused = await patch({ name: 'other' }, contentsOnly);
      expect([refused.status, refused.response?.data?.message]).toEqual([
        403,
        'Resource not accessible by integration',
      ]);
      expect(
        (
          await failure(
            request('DELETE /repos/{owner}/{repo}', {
              owner: 'settings-org',
              repo: 'refusals',
              headers: contentsOnly,
            }),
          )
        ).status,
      ).toBe(403);
    });
    expect(hooks).toEqual([]);
    const { data } = await request('GET /repos/{owner}/{repo}', {
      owner: 'settings-org',
      repo: 'refusals',
      headers,
    });
    expect(data).toMatchObject({ name: 'refusals', private: false, default_branch: 'main' });
  });

  it('an archived repository is read-only (403) until it is unarchived', async () => {
    const headers = await tokenFor(watched.org);
    await fx.admin.createRepositories('settings-org', { names: ['to-archive'] });
    const params = { owner: 'settings-org', repo: 'to-archive', headers };
    const archived = await hooksDuring(() =>
      request('PATCH /repos/{owner}/{repo}', { ...params, archived: true }),
    );
    expect(summary(archived)).toEqual([['repository', 'archived', watched.org]]);
    expectGitHubShapes(archived);
    for (const refused of [
      await failure(request('PATCH /repos/{owner}/{repo}', { ...params, description: 'x' })),
      await failure(request('POST /repos/{owner}/{repo}/git/blobs', { ...params, content: 'x' })),
    ]) {
      expect([refused.status, refused.response?.data?.message]).toEqual([
        403,
        'Repository was archived so is read-only.',
      ]);
    }
    const { data: still } = await request('GET /repos/{owner}/{repo}', params);
    expect(still).toMatchObject({ archived: true, description: null });
    const unarchived = await hooksDuring(() =>
      request('PATCH /repos/{owner}/{repo}', { ...params, archived: false }),
    );
    expect(summary(unarchived)).toEqual([['repository', 'unarchived', watched.org]]);
    expectGitHubShapes(unarchived);
    await request('POST /repos/{owner}/{repo}/git/blobs', { ...params, content: 'x' });
  });

  it('DELETE removes the repository (204): deleted, and installation_repositories removed where it was selected', async () => {
    await fx.admin.createRepositories('selected-org', { names: ['doomed'] });
    await fx.admin.call('POST', `/installations/${watched.selected}/repositories`, { add: ['doomed'] });
    const headers = await tokenFor(watched.selected);
    let status = 0;
    const hooks = await hooksDuring(async () => {
      ({ status } = await request('DELETE /repos/{owner}/{repo}', {
        owner: 'selected-org',
        repo: 'doomed',
        headers,
      }));
    });
    expect(status).toBe(204);
    expect(summary(hooks)).toEqual([
      ['repository', 'deleted', watched.selected],
      ['installation_repositories', 'removed', watched.selected],
    ]);
    expectGitHubShapes(hooks);
    expect(hooks[1]?.payload).toMatchObject({
      repositories_removed: [{ full_name: 'selected-org/doomed' }],
      repositories_added: [],
      repository_selection: 'selected',
    });
    expect(
      (
        await failure(
          request('GET /repos/{owner}/{repo}', { owner: 'selected-org', repo: 'doomed', headers }),
        )
      ).status,
    ).toBe(404);
  });

  it('POST /user/repos and the control route send created; nothing for an installation that does not reach the repository', async () => {
    const query = await authorizeAs(fx.emulator.url, {
      client_id: watcher.clientId,
      login: 'settings-owner',
      state: 's',
    });
    const { authentication } = await exchangeWebFlowCode({
      clientType: 'github-app',
      clientId: watcher.clientId,
      clientSecret: watcher.clientSecret,
      code: query.get('code') ?? '',
      request,
    });
    const personal = await hooksDuring(() =>
      request('POST /user/repos', {
        name: 'mine',
        headers: { authorization: `token ${authentication.token}` },
      }),
    );
    expect(summary(personal)).toEqual([['repository', 'created', watched.personal]]);
    expectGitHubShapes(personal);
    expect(personal[0]?.payload.organization).toBeUndefined();
    expect(personal[0]?.payload.sender).toMatchObject({ login: 'settings-owner', type: 'User' });

    const control = await hooksDuring(() =>
      fx.admin.createRepositories('settings-org', { names: ['c1', 'c2'] }),
    );
    expect(summary(control)).toEqual([
      ['repository', 'created', watched.org],
      ['repository', 'created', watched.org],
    ]);
    expect(control[0]?.payload.sender).toMatchObject({ login: 'settings-owner' });
    // selected-org's installation selected only `chosen`: a new repository, or a change to an unselected
    // one, is not its business; nor does a suspended installation hear anything.
    const unselected = await hooksDuring(async () => {
      await fx.admin.createRepositories('selected-org', { names: ['new-unselected'] });
      await fx.admin.renameRepository('selected-org', 'not-chosen', 'still-not-chosen');
    });
    expect(unselected).toEqual([]);
    await fx.admin.suspend(watched.org);
    const whileSuspended = await hooksDuring(() => fx.admin.archiveRepository('settings-org', 'c1'));
    await fx.admin.unsuspend(watched.org);
    expect(summary(whileSuspended)).toEqual([]);
  });

  it('generating from a template sends created, by the App’s bot', async () => {
    await fx.admin.createRepositories('settings-org', { names: ['tpl-source'], isTemplate: true });
    const headers = await tokenFor(watched.org);
    const hooks = await hooksDuring(() =>
      request('POST /repos/{template_owner}/{template_repo}/generate', {
        template_owner: 'settings-org',
        template_repo: 'tpl-source',
        owner: 'settings-org',
        name: 'from-tpl',
        headers,
      }),
    );
    expect(summary(hooks)).toEqual([['repository', 'created', watched.org]]);
    expectGitHubShapes(hooks);
    expect(hooks[0]?.payload).toMatchObject({
      repository: { full_name: 'settings-org/from-tpl' },
      sender: { login: 'repo-watcher[bot]', type: 'Bot' },
    });
  });

  it('the control API renames, archives, changes visibility, makes templates and deletes, with events', async () => {
    await fx.admin.createRepositories('settings-org', { names: ['ui-made'] });
    const id = fx.emulator.world.repository('settings-org', 'ui-made')?.id;
    const hooks = await hooksDuring(async () => {
      expect(
        (await fx.admin.renameRepository('settings-org', 'ui-made', 'ui-renamed')).repository,
      ).toMatchObject({
        id,
        fullName: 'settings-org/ui-renamed',
      });
      await fx.admin.setRepositoryVisibility('settings-org', 'ui-renamed', 'private');
      await fx.admin.makeTemplate('settings-org', 'ui-renamed');
      await fx.admin.archiveRepository('settings-org', 'ui-renamed');
      await expect(fx.admin.renameRepository('settings-org', 'ui-renamed', 'x')).rejects.toThrow(
        /403.*read-only/,
      );
      await fx.admin.archiveRepository('settings-org', 'ui-renamed', false);
      expect((await fx.admin.deleteRepository('settings-org', 'ui-renamed')).deleted.id).toBe(id);
    });
    expect(summary(hooks)).toEqual(
      ['renamed', 'privatized', 'edited', 'archived', 'unarchived', 'deleted'].map((action) => [
        'repository',
        action,
        watched.org,
      ]),
    );
    expectGitHubShapes(hooks);
    expect(hooks[0]?.payload.sender).toMatchObject({ login: 'settings-owner' });
    expect(fx.emulator.world.repository('settings-org', 'ui-renamed')).toBeUndefined();
  });

  it('the control route makes binary files from base64', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10]);
    await fx.admin.createRepositories('settings-org', {
      names: ['with-binary'],
      files: { 'logo.png': { base64: bytes.toString('base64') }, 'README.md': '# x\n' },
    });
    const { data } = await request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: 'settings-org',
      repo: 'with-binary',
      path: 'logo.png',
      headers: await tokenFor(watched.org),
    });
    expect(Buffer.from((data as { content: string }).content, 'base64')).toEqual(bytes);
  });

  it('a transfer keeps the id: the old selection loses it, the new owner’s installation hears transferred', async () => {
    await fx.admin.createRepositories('selected-org', { names: ['moving'] });
    await fx.admin.call('POST', `/installations/${watched.selected}/repositories`, { add: ['moving'] });
    const id = fx.emulator.world.repository('selected-org', 'moving')?.id;
    const hooks = await hooksDuring(() =>
      fx.admin.transferRepository('selected-org', 'moving', 'settings-org'),
    );
    expect(summary(hooks)).toEqual([
      ['installation_repositories', 'removed', watched.selected],
      ['repository', 'transferred', watched.org],
    ]);
    expectGitHubShapes(hooks);
    expect(hooks[1]?.payload).toMatchObject({
      changes: { owner: { from: { organization: { login: 'selected-org' } } } },
      repository: { id, full_name: 'settings-org/moving' },
      organization: { login: 'settings-org' },
    });
    expect(fx.emulator.world.installations.get(watched.selected)?.selectedRepositoryIds.has(id ?? 0)).toBe(
      false,
    );
    const { data } = await request('GET /repos/{owner}/{repo}', {
      owner: 'settings-org',
      repo: 'moving',
      headers: await tokenFor(watched.org),
    });
    expect(data.id).toBe(id);
    await expect(fx.admin.transferRepository('settings-org', 'moving', 'settings-org')).rejects.toThrow(
      /422/,
    );
  });
});

describe('App manifest flow', () => {
  it('creates the App from a posted manifest and converts the code once into its credentials', async () => {
    const manifest = {
      name: 'Manifest App',
      url: 'https://app.example.com',
      redirect_url: 'https://register.example/done',
      callback_urls: ['https://api.example.com/auth/callback'],
      hook_attributes: { url: 'https://api.example.com/webhooks/github' },
      request_oauth_on_install: true,
    };
    const created = await fetch(`${fx.emulator.url}/settings/apps/new?state=s1&login=octo-demo`, {
      method: 'POST',
      body: new URLSearchParams({ manifest: JSON.stringify(manifest) }),
      redirect: 'manual',
    });
    expect(created.status).toBe(302);
    const back = new URL(created.headers.get('location') ?? '');
    expect(back.origin + back.pathname).toBe('https://register.example/done');
    expect(back.searchParams.get('state')).toBe('s1');
    const code = back.searchParams.get('code') ?? '';
    const { status, data } = await request('POST /app-manifests/{code}/conversions', { code });
    expect(status).toBe(201);
    expect(data).toMatchObject({ slug: 'manifest-app', owner: { login: 'octo-demo' } });
    expect(data.pem).toContain('PRIVATE KEY');
    expect(data.webhook_secret).toMatch(/^[0-9a-f]{40}$/);
    expect((await failure(request('POST /app-manifests/{code}/conversions', { code }))).status).toBe(404);
    const bad = await fetch(`${fx.emulator.url}/settings/apps/new?login=octo-demo`, {
      method: 'POST',
      body: new URLSearchParams({ manifest: JSON.stringify({ name: 'No Homepage' }) }),
      redirect: 'manual',
    });
    expect(bad.status).toBe(422);
  });
});

describe('GET /installation/repositories', () => {
  it('lists the installation’s selection, narrowed by the token, 100 a page with Link, by id', async () => {
    await fx.admin.createUser({ login: 'list-org', type: 'Organization', members: ['octo-demo'] });
    const made = await fx.admin.createRepositories('list-org', { count: 150, prefix: 'lst' });
    const installationId = (await fx.admin.install({ appId: fx.app.id, account: 'list-org' })).installation
      .id;
    const auth = appAuth();
    const { token } = await auth({ type: 'installation', installationId, permissions: { metadata: 'read' } });
    const headers = { authorization: `token ${token}` };
    const first = await request('GET /installation/repositories', { per_page: 100, headers });
    expect(first.data.total_count).toBe(150);
    expect(first.data.repository_selection).toBe('all');
    expect(first.data.repositories).toHaveLength(100);
    expect(first.headers.link).toMatch(/[?&]page=2[^>]*>; rel="last"/);
    const second = await request('GET /installation/repositories', { per_page: 100, page: 2, headers });
    expect(second.data.repositories).toHaveLength(50);
    expect(second.headers.link).not.toMatch(/rel="next"/);
    const ids = [...first.data.repositories, ...second.data.repositories].map((repo) => repo.id);
    expect(ids).toEqual(made.map((repo) => repo.id).sort((a, b) => a - b));
    // per_page above 100 is 100, as on GitHub.
    const capped = await request('GET /installation/repositories', { per_page: 500, headers });
    expect(capped.data.repositories).toHaveLength(100);

    // Removed from the selection: gone from the list, for tokens minted before too.
    await fx.admin.call('POST', `/installations/${installationId}/repositories`, {
      remove: ['lst-0001', 'lst-0002'],
    });
    const after = await request('GET /installation/repositories', { per_page: 100, page: 2, headers });
    expect(after.data.total_count).toBe(148);
    expect(after.data.repository_selection).toBe('selected');
    expect(after.data.repositories.map((repo) => repo.name)).not.toContain('lst-0001');

    // A token narrowed to one repository sees only that one.
    const narrowed = await auth({
      type: 'installation',
      installationId,
      repositoryNames: ['lst-0003'],
      permissions: { metadata: 'read' },
    });
    const one = await request('GET /installation/repositories', {
      headers: { authorization: `token ${narrowed.token}` },
    });
    expect(one.data).toMatchObject({ total_count: 1, repository_selection: 'selected' });
    expect(one.data.repositories.map((repo) => repo.full_name)).toEqual(['list-org/lst-0003']);
    expect(one.headers.link).toBeUndefined();

    // Only an installation token may list; a suspended installation's tokens are refused.
    const user = await signIn('octo-demo');
    const asUser = await failure(
      request('GET /installation/repositories', { headers: { authorization: `token ${user.token}` } }),
    );
    expect(asUser.status).toBe(403);
    expect((await failure(request('GET /installation/repositories'))).status).toBe(401);
    await fx.admin.suspend(installationId);
    const suspended = await failure(request('GET /installation/repositories', { headers }));
    expect(suspended.status).toBe(403);
    expect(suspended.response?.data?.message).toBe('This installation has been suspended');
    await fx.admin.unsuspend(installationId);
    await expect(request('GET /installation/repositories', { headers })).resolves.toMatchObject({
      status: 200,
    });
  });
});

describe('every emulated response validates against GitHub’s OpenAPI description', () => {
  it('checks each recorded answer of this suite and covers every emulated REST operation', () => {
    const openapi = new GitHubOpenApi();
    const restRoutes = fx.emulator.routes.filter((route) => route.kind === 'rest');
    const problems: string[] = [];
    const covered = new Set<string>();
    for (const call of fx.emulator.state.calls) {
      if (call.status === 0 || call.fault !== undefined || !openapi.hasOperation(call.method, call.route))
        continue;
      const errors = openapi.validate(call.method, call.route, call.status, call.body);
      if (errors === undefined) continue;
      if (errors.length)
        problems.push(`${call.method} ${call.route} ${call.status}: ${errors.slice(0, 5).join('; ')}`);
      else if (call.status < 300) covered.add(`${call.method} ${call.route}`);
    }
    expect([...new Set(problems)]).toEqual([]);
    // The check itself can fail: a body missing GitHub's required fields is reported.
    expect(
      openapi.validate('GET', '/app/installations/{installation_id}', 200, { id: 1 })?.length,
    ).toBeGreaterThan(0);
    const operations = restRoutes.map((route) => `${route.method} ${openApiTemplate(route.template)}`);
    expect(
      operations.filter(
        (operation) => !openapi.hasOperation(operation.split(' ')[0] ?? '', operation.split(' ')[1] ?? ''),
      ),
    ).toEqual([]);
    // Bodiless answers (204) are covered by their status alone.
    const bodiless = new Set([
      'DELETE /applications/{client_id}/token',
      'DELETE /applications/{client_id}/grant',
      'DELETE /repos/{owner}/{repo}',
    ]);
    expect(operations.filter((operation) => !covered.has(operation) && !bodiless.has(operation))).toEqual([]);
  });
});
