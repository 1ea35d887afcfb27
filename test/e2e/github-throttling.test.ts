import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * GitHub throttling anywhere (a 403 or 429 with `retry-after` or `x-ratelimit-remaining: 0`) is 503
 * `github_rate_limited` with Retry-After, never a domain 403/404; GitHub's own 503 stays a 503. Each
 * case puts the emulator's rate-limit answer on one GitHub call the service makes.
 */
let fx: ServiceFixture;
let account: string;
const installs: Record<string, number> = {};
type Call = ReturnType<typeof api>;
let alice: Call;

beforeAll(async () => {
  fx = await startService();
  const appId = Number(fx.secrets.githubApp.appId);
  for (const login of ['alice', 'bob']) await fx.admin.createUser({ login });
  for (const org of ['octo-org', 'mint-org', 'other-org']) {
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['alice'], members: ['bob'] });
  }
  for (const target of ['alice', 'octo-org', 'mint-org', 'other-org']) {
    installs[target] = (await fx.admin.install({ appId, account: target })).installation.id;
  }
  alice = api(fx, await signIn(fx, 'alice'));
  const created = await alice('/accounts', { method: 'POST', json: { name: 'Throttled' } });
  account = ((await created.json()) as { id: string }).id;
  for (const target of ['alice', 'octo-org', 'mint-org']) {
    const linked = await alice(`/accounts/${account}/installations/${installs[target]}`, { method: 'PUT' });
    expect(linked.status).toBe(201);
  }
});
afterAll(() => fx?.close());
afterEach(() => fx.admin.call('DELETE', '/faults'));

const resetIn = (seconds: number) => String(Math.floor(Date.now() / 1000) + seconds);

/** The throttling answers GitHub gives, with the Retry-After the service must pass on. */
const THROTTLES = {
  'secondary (403 + retry-after)': {
    fault: {
      status: 403,
      headers: { 'retry-after': '30' },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes.' },
    },
    retryAfter: (value: number) => value === 30,
  },
  'primary (403 + x-ratelimit-remaining: 0)': {
    fault: {
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetIn(120) },
      body: { message: 'API rate limit exceeded for installation.' },
    },
    retryAfter: (value: number) => value > 60 && value <= 121,
  },
  'primary without a reset time': {
    fault: {
      status: 403,
      headers: { 'x-ratelimit-remaining': '0' },
      body: { message: 'API rate limit exceeded.' },
    },
    retryAfter: (value: number) => value > 0,
  },
  '429 without headers': {
    fault: { status: 429, body: { message: 'Too many requests.' } },
    retryAfter: (value: number) => value > 0,
  },
  '429 + retry-after': {
    fault: { status: 429, headers: { 'retry-after': '7' }, body: { message: 'Too many requests.' } },
    retryAfter: (value: number) => value === 7,
  },
} as const;

async function expectRateLimited(response: Response, retryAfter: (value: number) => boolean) {
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, error: body.error }).toEqual({
    status: 503,
    error: 'github_rate_limited',
  });
  expect(retryAfter(Number(response.headers.get('retry-after')))).toBe(true);
  return body;
}

let repoNumber = 0;
const createRepo = (installation: number, files: Array<{ path: string; content: string }> = []) =>
  alice(`/accounts/${account}/repositories`, {
    method: 'POST',
    json: { installationId: installation, name: `repo-${++repoNumber}`, private: true, files },
  });

describe.each(Object.entries(THROTTLES))('GitHub throttles: %s', (_name, { fault, retryAfter }) => {
  it('minting an installation token (create-repo in an organization)', async () => {
    // A fresh installation each time, so no cached token hides the mint.
    const appId = Number(fx.secrets.githubApp.appId);
    const org = `mint-${++repoNumber}`;
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['alice'] });
    const id = (await fx.admin.install({ appId, account: org })).installation.id;
    expect((await alice(`/accounts/${account}/installations/${id}`, { method: 'PUT' })).status).toBe(201);
    await fx.admin.fault({ route: '/app/installations/{installation_id}/access_tokens', ...fault });
    const before = fx.emulator.world.repositories.size;
    await expectRateLimited(await createRepo(id), retryAfter);
    expect(fx.emulator.world.repositories.size).toBe(before);
  });

  it('creating the repository (organization and personal)', async () => {
    await fx.admin.fault({ route: '/orgs/{org}/repos', ...fault });
    await expectRateLimited(await createRepo(installs['octo-org'] ?? 0), retryAfter);
    await fx.admin.fault({ route: '/user/repos', ...fault });
    await expectRateLimited(await createRepo(installs.alice ?? 0), retryAfter);
  });

  it('committing the initial files: 503 naming the created repository, and a retry finishes', async () => {
    await fx.admin.fault({ route: '/repos/{owner}/{repo}/git/trees', ...fault });
    const name = `files-${++repoNumber}`;
    const request = () =>
      alice(`/accounts/${account}/repositories`, {
        method: 'POST',
        json: {
          installationId: installs['octo-org'],
          name,
          private: true,
          files: [{ path: 'README.md', content: 'hello' }],
        },
      });
    const body = await expectRateLimited(await request(), retryAfter);
    expect(body.repository).toMatchObject({ fullName: `octo-org/${name}` });
    expect((await request()).status).toBe(201);
  });

  it('reading the installation as the App and the reach check (link)', async () => {
    // Without stored details (no webhook yet), linking reads the installation as the App.
    await fx.table.table.delete({ PK: `INSTALLATION#${installs['other-org']}`, SK: 'META' });
    await fx.admin.fault({ route: '/app/installations/{installation_id}', ...fault });
    await expectRateLimited(
      await alice(`/accounts/${account}/installations/${installs['other-org']}`, { method: 'PUT' }),
      retryAfter,
    );
    await fx.admin.fault({ route: '/user/installations/{installation_id}/repositories', ...fault });
    await expectRateLimited(
      await alice(`/accounts/${account}/installations/${installs.alice}`, { method: 'PUT' }),
      retryAfter,
    );
  });

  it("listing the user's installations", async () => {
    await fx.admin.fault({ route: '/user/installations', ...fault });
    await expectRateLimited(await alice(`/accounts/${account}/installations`), retryAfter);
  });

  it('looking up an invitee', async () => {
    await fx.admin.fault({ route: '/users/{username}', ...fault });
    await expectRateLimited(
      await alice(`/accounts/${account}/members`, { method: 'POST', json: { login: 'bob', role: 'member' } }),
      retryAfter,
    );
  });
});

it("GitHub's 503 stays a 503 (with Retry-After), on create and on listing", async () => {
  await fx.admin.fault({ route: '/orgs/{org}/repos', status: 503 });
  const created = await createRepo(installs['octo-org'] ?? 0);
  expect(created.status).toBe(503);
  expect(Number(created.headers.get('retry-after'))).toBeGreaterThan(0);
  await fx.admin.fault({ route: '/user/installations', status: 503 });
  expect((await alice(`/accounts/${account}/installations`)).status).toBe(503);
});

it('a plain 403 (no rate-limit headers) keeps its meaning', async () => {
  await fx.admin.fault({
    route: '/orgs/{org}/repos',
    status: 403,
    body: { message: 'Resource not accessible by integration' },
  });
  const refused = await createRepo(installs['octo-org'] ?? 0);
  expect(refused.status).toBe(403);
  expect(await refused.json()).toMatchObject({ error: 'github_forbidden' });
});
