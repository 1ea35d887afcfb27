/**
 * The GitHub emulator: the App manifest flow and GET /installation/repositories (run by
 * test/integration/github-emulator.test.ts).
 */
import { appAuth, failure, fx, request, signIn } from '../../support/emulator-suite.js';

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
