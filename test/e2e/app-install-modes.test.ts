import {
  api,
  FRONTEND,
  signIn,
  startInstall,
  startService,
  type ServiceFixture,
} from '../support/service.js';

/**
 * docs/deploy.md "4. Register the GitHub App": GitHub disables the Setup URL while "Request user authorization
 * (OAuth) during installation" is ticked, so an App has one or the other. The OAuth mode (GitHub sends a
 * code) is what the other e2e tests register; this one registers the Setup URL with "Redirect on
 * update" instead, where GitHub sends no code and the service relies on the session.
 */
describe('installing the App from an account, App registered with a Setup URL (no OAuth on install)', () => {
  let fx: ServiceFixture;
  let accountId: string;

  beforeAll(async () => {
    fx = await startService({ installMode: 'setup-url' });
    await fx.admin.createUser({ login: 'bob' });
    await fx.admin.createUser({ login: 'new-org', type: 'Organization', admins: ['bob'] });
    const bob = api(fx, await signIn(fx, 'bob'));
    const created = await bob('/accounts', { method: 'POST', json: { name: 'Team' } });
    expect(created.status).toBe(201);
    accountId = ((await created.json()) as { id: string }).id;
  });
  afterAll(() => fx?.close());

  async function installFromAccount() {
    const signedIn = await signIn(fx, 'bob');
    const listed = await api(fx, signedIn)(`/accounts/${accountId}/installations`);
    const { installUrl } = (await listed.json()) as { installUrl: string };
    const { githubUrl, cookie } = await startInstall(signedIn, installUrl);
    githubUrl.searchParams.set('login', 'bob');
    githubUrl.searchParams.set('target', 'new-org');
    const github = await fetch(githubUrl, { redirect: 'manual' });
    const callback = new URL(github.headers.get('location') ?? '');
    const back = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    return { callback, back, landed: new URL(back.headers.get('location') ?? '') };
  }

  it('a new installation comes back to the callback and is linked to the account', async () => {
    const { callback, back, landed } = await installFromAccount();
    expect(callback.pathname).toBe('/auth/callback');
    expect(callback.searchParams.get('setup_action')).toBe('install');
    expect(callback.searchParams.has('code')).toBe(false);
    expect(back.status).toBe(302);
    expect(landed.origin).toBe(FRONTEND);
    expect(landed.searchParams.get('linked')).toBe('true');
    const id = Number(landed.searchParams.get('installation_id'));
    const listed = await api(fx, await signIn(fx, 'bob'))(`/accounts/${accountId}/installations`);
    const { installations } = (await listed.json()) as { installations: { id: number; linked: boolean }[] };
    expect(installations.filter((i) => i.linked).map((i) => i.id)).toEqual([id]);
  });

  it('configuring it again comes back with setup_action=update', async () => {
    const { callback, landed } = await installFromAccount();
    expect(callback.searchParams.get('setup_action')).toBe('update');
    expect(landed.searchParams.get('setup_action')).toBe('update');
    expect(landed.searchParams.has('install_error')).toBe(false);
  });
});
