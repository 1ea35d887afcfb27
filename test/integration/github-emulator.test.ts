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
    ]);
    expect(operations.filter((operation) => !covered.has(operation) && !bodiless.has(operation))).toEqual([]);
  });
});
