import { createAppAuth } from '@octokit/auth-app';
import { request as octokitRequest } from '@octokit/request';
import { bulkRepositoryName } from '../../local/github-emulator/handlers/bulk.js';
import { startEmulatorFixture, type EmulatorFixture } from '../support/emulator.js';

// The emulator's scale support (handlers/bulk.ts, the latency range), over real HTTP with octokit.
let fx: EmulatorFixture;
let request: typeof octokitRequest;

beforeAll(async () => {
  fx = await startEmulatorFixture();
  request = octokitRequest.defaults({ baseUrl: fx.emulator.url });
  await fx.admin.createUser({ login: 'bulk-org', type: 'Organization' });
  await fx.admin.createUser({ login: 'other-bulk-org', type: 'Organization' });
});
afterAll(() => fx?.close());

async function installationRequest(account: string) {
  const { installation } = await fx.admin.install({ appId: fx.app.id, account });
  const auth = createAppAuth({ appId: fx.app.id, privateKey: fx.app.privateKey, request });
  const { token } = await auth({ type: 'installation', installationId: installation.id });
  return {
    id: installation.id,
    request: request.defaults({ headers: { authorization: `token ${token}` } }),
  };
}

type Page = { total_count: number; repositories: Array<{ id: number; name: string; full_name: string }> };

test('bulk repositories: worded names, no webhooks, listed by id in pages that add up', async () => {
  const hooksBefore = fx.receiver.hooks.length;
  const created = await fx.admin.createRepositoriesInBulk('bulk-org', { count: 250, prefix: 'team' });
  expect(created).toMatchObject({ owner: 'bulk-org', count: 250, first: 'team-core-payments-api-1' });
  expect(created.lastId - created.firstId).toBe(249);
  // A second batch continues the numbering; another owner's batch does not mix in.
  await fx.admin.createRepositoriesInBulk('bulk-org', { count: 50, prefix: 'team', start: 250 });
  await fx.admin.createRepositoriesInBulk('other-bulk-org', { count: 30 });
  expect(fx.receiver.hooks.length).toBe(hooksBefore);

  const { id: installationId, request: asInstallation } = await installationRequest('bulk-org');
  await fx.admin.clearCalls();
  const seen: Page['repositories'] = [];
  for (let page = 1; ; page++) {
    const { data, headers } = await asInstallation('GET /installation/repositories', { per_page: 100, page });
    const body = data as unknown as Page;
    expect(body.total_count).toBe(300);
    seen.push(...body.repositories);
    if (!headers.link?.includes('rel="next"')) break;
  }
  expect(seen).toHaveLength(300);
  // The call log names the installation whose token made each call (the bench's in-flight count).
  const pages = await fx.admin.calls('GET /installation/repositories');
  expect(pages.map((call) => call.installationId)).toEqual([installationId, installationId, installationId]);
  expect(seen.map((repo) => repo.id)).toEqual([...seen.map((repo) => repo.id)].sort((a, b) => a - b));
  expect(new Set(seen.map((repo) => repo.name)).size).toBe(300);
  expect(seen.map((repo) => repo.name)).toEqual(
    Array.from({ length: 300 }, (_, i) => bulkRepositoryName(i, 'team')),
  );
  expect(seen.every((repo) => repo.full_name.startsWith('bulk-org/'))).toBe(true);
  // Every name has the team-domain-kind-N structure a word search relies on.
  expect(seen.filter((repo) => /^team-\w+-payments-\w+-\d+$/.test(repo.name)).length).toBe(30);

  // A repository removed on GitHub leaves the list at once (the per-owner index follows changes).
  const gone = seen[0]?.name ?? '';
  await fx.admin.call('DELETE', `/repos/bulk-org/${gone}`);
  const { data } = await asInstallation('GET /installation/repositories', { per_page: 100 });
  const after = data as unknown as Page;
  expect(after.total_count).toBe(299);
  expect(after.repositories.map((repo) => repo.name)).not.toContain(gone);
});

test('bulk repositories: a taken name, a bad count or custom words are answered as such', async () => {
  const taken = await fx.admin
    .createRepositoriesInBulk('bulk-org', { count: 5, prefix: 'team' })
    .catch((error: Error) => error.message);
  expect(taken).toContain('→ 400');
  expect(taken).toContain('taken');
  for (const count of [0, 50_001, 1.5])
    await expect(fx.admin.createRepositoriesInBulk('bulk-org', { count })).rejects.toThrow('→ 400');
  await expect(fx.admin.createRepositoriesInBulk('nobody-here', { count: 1 })).rejects.toThrow('→ 400');

  const words = [['alpha', 'beta'], ['svc']];
  const custom = await fx.admin.createRepositoriesInBulk('other-bulk-org', { count: 3, words, prefix: 'x' });
  expect([custom.first, custom.last]).toEqual(['x-alpha-svc-1', 'x-alpha-svc-3']);
  expect(bulkRepositoryName(1, 'x', words)).toBe('x-beta-svc-2');
});

test('latency: a fixed value or a range, reported back and reset', async () => {
  expect(await fx.admin.setLatencyRange(50, 100)).toMatchObject({ minMs: 50, maxMs: 100 });
  expect(await fx.admin.call('GET', '/latency')).toMatchObject({ minMs: 50, maxMs: 100 });
  expect(await fx.admin.setLatency(20)).toMatchObject({ latencyMs: 20, minMs: 20, maxMs: 20 });
  for (const body of [{ minMs: 100, maxMs: 50 }, { minMs: -1, maxMs: 5 }, { minMs: 1 }, { latencyMs: 'x' }])
    await expect(fx.admin.call('PUT', '/latency', body)).rejects.toThrow('→ 400');
  // A REST call still answers under a latency range.
  await fx.admin.setLatencyRange(1, 3);
  const response = await fetch(`${fx.emulator.url}/users/bulk-org`);
  expect(response.status).toBe(200);
  await fx.admin.call('POST', '/reset');
  expect(await fx.admin.call('GET', '/latency')).toMatchObject({ minMs: 0, maxMs: 0 });
});
