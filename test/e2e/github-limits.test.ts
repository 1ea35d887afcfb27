import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * The emulator's own refusals, as GitHub gives them (docs/github-emulator.md), not injected faults: the
 * primary limit (403, `x-ratelimit-remaining: 0`, wait until `x-ratelimit-reset`) and a secondary one
 * (403 with `retry-after`) both become the service's 503 `github_rate_limited` with Retry-After.
 */
let fx: ServiceFixture;
let account: string;
let installationId: number;
let alice: ReturnType<typeof api>;

beforeAll(async () => {
  fx = await startService();
  const appId = Number(fx.secrets.githubApp.appId);
  await fx.admin.createUser({ login: 'alice' });
  await fx.admin.createUser({ login: 'octo-org', type: 'Organization', admins: ['alice'] });
  await fx.admin.createRepositories('octo-org', { names: ['api', 'web'] });
  installationId = (await fx.admin.install({ appId, account: 'octo-org' })).installation.id;
  alice = api(fx, await signIn(fx, 'alice'));
  const created = await alice('/accounts', { method: 'POST', json: { name: 'Limited' } });
  account = ((await created.json()) as { id: string }).id;
  const linked = await alice(`/accounts/${account}/installations/${installationId}`, { method: 'PUT' });
  expect(linked.status).toBe(201);
});
afterAll(() => fx?.close());
beforeEach(() => fx.emulator.state.limits.reset());

/** Spends `count` calls of the installation's budget (and of its App's points) with a token of its own. */
async function spend(count: number): Promise<Response> {
  const installation = fx.emulator.world.installations.get(installationId);
  if (!installation) throw new Error('no installation');
  const { token } = fx.emulator.world.issueInstallationToken(installation, installation.permissions, null);
  let last: Response | undefined;
  for (let i = 0; i < count; i++) {
    last = await fetch(`${fx.emulator.url}/installation/repositories?per_page=1`, {
      headers: { authorization: `token ${token}` },
    });
  }
  if (!last) throw new Error('no call');
  return last;
}

// Reading a tree always asks GitHub (with a token narrowed to the repository), whatever the list does.
const readTree = () => alice(`/accounts/${account}/repositories/octo-org/api/tree`);

it('reads a tree while the budget lasts', async () => {
  expect((await readTree()).status).toBe(200);
});

it('answers 503 github_rate_limited until the reset once the installation’s hourly budget is spent', async () => {
  await fx.admin.setLimits({ primaryPerHour: 10 });
  const last = await spend(10);
  expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
  const reset = Number(last.headers.get('x-ratelimit-reset'));

  const refused = await readTree();
  expect(refused.status).toBe(503);
  expect(await refused.json()).toMatchObject({ error: 'github_rate_limited' });
  const retryAfter = Number(refused.headers.get('retry-after'));
  // Until the reset (the emulator's clock is the service's here: nothing advanced it).
  expect(retryAfter).toBeGreaterThan(3500);
  expect(retryAfter).toBeLessThanOrEqual(reset - Math.floor(Date.now() / 1000) + 1);
  const calls = await fx.admin.calls();
  expect(calls.at(-1)).toMatchObject({ credential: 'installation_token', status: 403 });
});

it('answers 503 github_rate_limited with GitHub’s retry-after on a secondary limit', async () => {
  await fx.admin.setLimits({ pointsPerMinute: 5 });
  const last = await spend(5);
  expect(last.status).toBe(200);

  const refused = await readTree();
  expect(refused.status).toBe(503);
  expect(await refused.json()).toMatchObject({ error: 'github_rate_limited' });
  const retryAfter = Number(refused.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  const calls = await fx.admin.calls();
  expect(calls.filter((call) => call.status === 403).length).toBeGreaterThan(0);
});
