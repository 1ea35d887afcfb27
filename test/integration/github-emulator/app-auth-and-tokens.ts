/**
 * The GitHub emulator: App authentication (JWT) and installation access tokens (run by
 * test/integration/github-emulator.test.ts).
 */
import { generateAppKeys } from '../../support/emulator.js';
import {
  appAuth,
  craftJwt,
  failure,
  fx,
  installations,
  now,
  request,
  signIn,
} from '../../support/emulator-suite.js';

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

  it('revokes a token with DELETE /installation/token: 204, then 401 Bad credentials, a second DELETE too', async () => {
    const { token: jwt } = await appAuth()({ type: 'app' });
    const { data } = await request('POST /app/installations/{installation_id}/access_tokens', {
      installation_id: installations.org,
      permissions: { contents: 'read' },
      headers: { authorization: `bearer ${jwt}` },
    });
    const headers = { authorization: `token ${data.token}` };
    await expect(request('GET /installation/repositories', { headers })).resolves.toMatchObject({
      status: 200,
    });
    await expect(request('DELETE /installation/token', { headers })).resolves.toMatchObject({ status: 204 });
    for (const call of [
      request('GET /installation/repositories', { headers }),
      request('DELETE /installation/token', { headers }),
    ]) {
      const error = await failure(call);
      expect(error.status).toBe(401);
      expect(error.response?.data).toMatchObject({ message: 'Bad credentials' });
    }
    // Only an installation token revokes itself: a user token or a JWT is refused.
    const byJwt = await failure(
      request('DELETE /installation/token', { headers: { authorization: `bearer ${jwt}` } }),
    );
    expect(byJwt.status).toBe(401);
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
