import { createAppAuth } from '@octokit/auth-app';
import { request as octokitRequest } from '@octokit/request';
import { startGitHubEmulator } from '../../local/github-emulator/server.js';
import { GITHUB_LIMITS } from '../../local/github-emulator/rate-limits.js';
import { NEW_TOKEN_LENGTH } from '../../local/github-emulator/token-format.js';
import { authorizeAs, startEmulatorFixture, type EmulatorFixture } from '../support/emulator.js';

// GitHub's limits, conditional requests and new-format tokens (docs/github-emulator.md), driven with the
// real octokit clients.

let fx: EmulatorFixture;
let request: typeof octokitRequest;
let installations: { org: number; second: number; personal: number };

type Failure = { status: number; response?: { data?: unknown; headers: Record<string, string | undefined> } };
async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    return error as Failure;
  }
  throw new Error('expected the call to fail');
}
/** The answer's status and headers, whether octokit resolved or threw (it throws on 304 and 4xx). */
async function settle(
  promise: Promise<{ status: number; headers: Record<string, string | number | undefined> }>,
): Promise<{ status: number; headers: Record<string, string | number | undefined>; data?: unknown }> {
  try {
    return await promise;
  } catch (error) {
    const failed = error as Failure;
    if (!failed.response) throw error;
    return { status: failed.status, headers: failed.response.headers, data: failed.response.data };
  }
}

const auth = () => createAppAuth({ appId: fx.app.id, privateKey: fx.app.privateKey, request });
async function installationToken(installationId: number): Promise<string> {
  return (await auth()({ type: 'installation', installationId, refresh: true })).token;
}
const bearer = (token: string) => ({ authorization: `token ${token}` });
const listRepos = (token: string, query: { per_page?: number; page?: number } = {}) =>
  request('GET /installation/repositories', { ...query, headers: bearer(token) });

/** Runs `count` calls, `width` at a time (well under the concurrency limit). */
async function many<T>(count: number, width: number, call: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await call(index);
      }
    }),
  );
  return results;
}

async function signIn(login: string): Promise<string> {
  const query = await authorizeAs(fx.emulator.url, { client_id: fx.app.clientId, login, state: 's' });
  const response = await fetch(`${fx.emulator.url}/login/oauth/access_token`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: fx.app.clientId,
      client_secret: fx.app.clientSecret,
      code: query.get('code'),
    }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

beforeAll(async () => {
  fx = await startEmulatorFixture();
  request = octokitRequest.defaults({ baseUrl: fx.emulator.url });
  await fx.admin.createUser({ login: 'octo-demo' });
  await fx.admin.createUser({ login: 'octo-org', type: 'Organization', members: ['octo-demo'] });
  await fx.admin.createUser({ login: 'second-org', type: 'Organization', members: ['octo-demo'] });
  await fx.admin.createRepositories('octo-org', { names: ['alpha'] });
  await fx.admin.createRepositories('octo-org', { count: 249, prefix: 'service' });
  await fx.admin.createRepositories('second-org', { names: ['tools'] });
  installations = {
    org: (await fx.admin.install({ appId: fx.app.id, account: 'octo-org' })).installation.id,
    second: (await fx.admin.install({ appId: fx.app.id, account: 'second-org' })).installation.id,
    personal: (await fx.admin.install({ appId: fx.app.id, account: 'octo-demo' })).installation.id,
  };
});
afterAll(() => fx?.close());
// Every test starts with GitHub's limits, enforced, and nothing spent.
beforeEach(async () => {
  await fx.admin.setLatency(0);
  fx.emulator.state.limits.reset();
});

describe('installation tokens', () => {
  it('are new-format by default: ghs_<appId>_<JWT>, 500–600 characters, varying, accepted', async () => {
    const tokens = await many(8, 1, () => installationToken(installations.org));
    for (const token of tokens) {
      expect(token).toMatch(
        new RegExp(`^ghs_${fx.app.id}_[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`),
      );
      expect(token.length).toBeGreaterThanOrEqual(NEW_TOKEN_LENGTH.min);
      expect(token.length).toBeLessThanOrEqual(NEW_TOKEN_LENGTH.max);
      const [header = '', payload = ''] = token.slice(`ghs_${fx.app.id}_`.length).split('.');
      expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toMatchObject({ typ: 'JWT' });
      expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({
        sub: `installation:${installations.org}`,
      });
    }
    expect(new Set(tokens).size).toBe(8);
    expect(new Set(tokens.map((token) => token.length)).size).toBeGreaterThan(1);
    const { data } = await listRepos(tokens[0] ?? '', { per_page: 1 });
    expect(data.total_count).toBe(250);
    // A token with one character changed is not one GitHub issued.
    const forged = `${(tokens[1] ?? '').slice(0, -1)}${(tokens[1] ?? '').endsWith('A') ? 'B' : 'A'}`;
    expect((await failure(listRepos(forged))).status).toBe(401);
  });

  it('are classic 40-character tokens with tokenFormat "classic" or GITHUB_EMULATOR_TOKEN_FORMAT=classic, and both kinds work', async () => {
    const previous = process.env.GITHUB_EMULATOR_TOKEN_FORMAT;
    process.env.GITHUB_EMULATOR_TOKEN_FORMAT = 'classic';
    const fromEnv = await startGitHubEmulator();
    if (previous === undefined) delete process.env.GITHUB_EMULATOR_TOKEN_FORMAT;
    else process.env.GITHUB_EMULATOR_TOKEN_FORMAT = previous;
    const fromOption = await startGitHubEmulator({ tokenFormat: 'classic' });
    try {
      expect(fromEnv.world.installationTokenFormat).toBe('classic');
      expect(fromOption.world.installationTokenFormat).toBe('classic');
    } finally {
      await fromEnv.close();
      await fromOption.close();
    }

    const fresh = await installationToken(installations.org);
    fx.emulator.world.installationTokenFormat = 'classic';
    try {
      const classic = await installationToken(installations.org);
      expect(classic).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
      expect((await listRepos(classic, { per_page: 1 })).status).toBe(200);
      expect((await listRepos(fresh, { per_page: 1 })).status).toBe(200);
    } finally {
      fx.emulator.world.installationTokenFormat = 'new';
    }
  });
});

describe('primary rate limit', () => {
  // 5,000 real calls: a generous timeout for a loaded machine (the assertions are counts, not times).
  it('refuses the 5,001st call of an hour for an installation (all its tokens), until the reset', async () => {
    const [first, second] = [
      await installationToken(installations.org),
      await installationToken(installations.org),
    ];
    const answers = [];
    // 5,000 calls, in minutes of 800 (under the 900 points a minute of the secondary limit).
    for (let spent = 0; spent < GITHUB_LIMITS.primaryPerHour; spent += 800) {
      const batch = Math.min(800, GITHUB_LIMITS.primaryPerHour - spent);
      answers.push(...(await many(batch, 20, (i) => listRepos(i % 2 ? first : second, { per_page: 1 }))));
      await fx.admin.advanceClock(61);
    }
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const last = answers.at(-1)?.headers ?? {};
    expect(last['x-ratelimit-remaining']).toBe('0');
    expect(last['x-ratelimit-limit']).toBe('5000');

    const refused = await failure(listRepos(first, { per_page: 1 }));
    expect(refused.status).toBe(403);
    expect(refused.response?.data).toMatchObject({
      message: `API rate limit exceeded for installation ID ${installations.org}.`,
      documentation_url: expect.stringContaining('rate-limits-for-the-rest-api') as unknown,
    });
    expect(refused.response?.headers['x-ratelimit-remaining']).toBe('0');
    const reset = Number(refused.response?.headers['x-ratelimit-reset']);
    expect(reset).toBe(Number(answers[0]?.headers['x-ratelimit-reset']));
    expect(refused.response?.headers['retry-after']).toBeUndefined();
    // A new token of the same installation shares the spent budget; another installation has its own.
    expect((await failure(listRepos(await installationToken(installations.org)))).status).toBe(403);
    expect((await listRepos(await installationToken(installations.second))).status).toBe(200);

    const { now } = await fx.admin.call<{ now: string }>('GET', '/clock');
    await fx.admin.advanceClock(reset - Math.floor(Date.parse(now) / 1000));
    // The tokens expired with the hour: a new one, and a new budget.
    const again = await listRepos(await installationToken(installations.org), { per_page: 1 });
    expect(again.status).toBe(200);
    expect(again.headers['x-ratelimit-remaining']).toBe('4999');
  }, 180_000);

  it('counts a user’s calls per user, and refuses anonymous calls past 60 an hour', async () => {
    await fx.admin.setLimits({ primaryPerHour: 20 });
    const token = await signIn('octo-demo');
    const ok = await many(20, 5, () => request('GET /user', { headers: bearer(token) }));
    expect(ok.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    const refused = await failure(request('GET /user', { headers: bearer(token) }));
    expect(refused.status).toBe(403);
    expect(refused.response?.data).toMatchObject({
      message: `API rate limit exceeded for user ID ${fx.emulator.world.accountByLogin('octo-demo')?.id}.`,
    });
    expect(refused.response?.headers['x-ratelimit-remaining']).toBe('0');

    const anonymous = await many(60, 5, () =>
      settle(request('GET /users/{username}', { username: 'octo-demo' })),
    );
    expect(anonymous.every((answer) => answer.status === 200)).toBe(true);
    const tooMany = await failure(request('GET /users/{username}', { username: 'octo-demo' }));
    expect(tooMany.status).toBe(403);
    expect(tooMany.response?.data).toMatchObject({
      message: expect.stringContaining('API rate limit exceeded for'),
    });
  });
});

describe('secondary rate limits', () => {
  it('refuses more than 100 concurrent calls for one App, across its installations, with retry-after', async () => {
    const tokens = [
      await installationToken(installations.org),
      await installationToken(installations.second),
    ];
    // Every call waits 1 s before GitHub answers, so all 110 are in flight together.
    await fx.admin.setLatency(1000);
    const answers = await Promise.all(
      Array.from({ length: 110 }, (_, i) => settle(listRepos(tokens[i % 2] ?? '', { per_page: 1 }))),
    );
    const refused = answers.filter((answer) => answer.status === 403);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(100);
    expect(refused).toHaveLength(10);
    for (const answer of refused) {
      expect(answer.data).toMatchObject({
        message: expect.stringContaining('You have exceeded a secondary rate limit'),
      });
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
    // Once they are answered, the App may call again.
    await fx.admin.setLatency(0);
    expect((await listRepos(tokens[0] ?? '', { per_page: 1 })).status).toBe(200);
  });

  it('allows 900 points a minute per App (a read 1, a write 5), then retry-after until the minute ends', async () => {
    const token = await installationToken(installations.org);
    const { token: jwt } = await auth()({ type: 'app' });
    // 40 writes (POST …/access_tokens: 5 points each, the one above included) and 700 reads: 900 points.
    await many(39, 5, () =>
      request('POST /app/installations/{installation_id}/access_tokens', {
        installation_id: installations.second,
        headers: { authorization: `bearer ${jwt}` },
      }),
    );
    await many(700, 20, () => listRepos(token, { per_page: 1 }));
    const refused = await failure(listRepos(token, { per_page: 1 }));
    expect(refused.status).toBe(403);
    expect(refused.response?.data).toMatchObject({
      message: expect.stringContaining('secondary rate limit'),
    });
    const retryAfter = Number(refused.response?.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The refused call spent nothing of the primary budget.
    expect(refused.response?.headers['x-ratelimit-remaining']).toBe(String(5000 - 700));
    await fx.admin.advanceClock(retryAfter);
    expect((await listRepos(token, { per_page: 1 })).status).toBe(200);
  });

  it('allows 80 content-creating calls a minute and 500 an hour', async () => {
    const token = await installationToken(installations.org);
    const blob = (i: number) =>
      settle(
        request('POST /repos/{owner}/{repo}/git/blobs', {
          owner: 'octo-org',
          repo: 'alpha',
          content: `blob ${i}`,
          headers: bearer(token),
        }),
      );
    const created: number[] = [];
    let refusedOnce = false;
    for (let minute = 0; minute < 7; minute++) {
      const answers = await many(81, 5, (i) => blob(minute * 100 + i));
      created.push(answers.filter((answer) => answer.status === 201).length);
      const refused = answers.filter((answer) => answer.status === 403);
      for (const answer of refused) {
        expect(answer.data).toMatchObject({ message: expect.stringContaining('secondary rate limit') });
        expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
        refusedOnce = true;
      }
      await fx.admin.advanceClock(61);
    }
    // 80 a minute for six minutes, then only the 20 left of the hour's 500.
    expect(created).toEqual([80, 80, 80, 80, 80, 80, 20]);
    expect(refusedOnce).toBe(true);
    // Reads are not content creation.
    expect((await listRepos(token, { per_page: 1 })).status).toBe(200);
  });
});

describe('conditional requests', () => {
  it('answer 304 page by page on GET /installation/repositories without spending the budget, 200 once a page changes', async () => {
    const token = await installationToken(installations.org);
    const pages = await Promise.all([1, 2, 3].map((page) => listRepos(token, { per_page: 100, page })));
    const etags = pages.map((page) => String(page.headers.etag));
    expect(new Set(etags).size).toBe(3);
    for (const etag of etags) expect(etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
    const used = Number(pages[2]?.headers['x-ratelimit-used']);

    const again = await Promise.all(
      [1, 2, 3].map((page) =>
        settle(
          request('GET /installation/repositories', {
            per_page: 100,
            page,
            headers: { ...bearer(token), 'if-none-match': etags[page - 1] },
          }),
        ),
      ),
    );
    expect(again.map((answer) => answer.status)).toEqual([304, 304, 304]);
    for (const answer of again) {
      expect(answer.headers['x-ratelimit-used']).toBe(String(used));
      expect(answer.data ?? '').toBe('');
    }
    const calls = await fx.admin.calls('GET /installation/repositories');
    expect(calls.slice(-3).map((call) => call.status)).toEqual([304, 304, 304]);

    // A new repository lands on the last page: only that page changes.
    await fx.admin.createRepositories('octo-org', { names: ['zz-new'] });
    const after = await Promise.all(
      [1, 2, 3].map((page) =>
        settle(
          request('GET /installation/repositories', {
            per_page: 100,
            page,
            headers: { ...bearer(token), 'if-none-match': etags[page - 1] },
          }),
        ),
      ),
    );
    // Every page carries total_count, so every page changed; the ETag is a hash of the answer.
    expect(after.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(Number(after[2]?.headers['x-ratelimit-used'])).toBe(used + 3);
  });

  it('answer 304 on GET /user/installations, and If-Modified-Since on a repository until it changes', async () => {
    const token = await signIn('octo-demo');
    const first = await request('GET /user/installations', { headers: bearer(token) });
    expect(first.data.total_count).toBe(3);
    const unchanged = await settle(
      request('GET /user/installations', {
        headers: { ...bearer(token), 'if-none-match': String(first.headers.etag) },
      }),
    );
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers['x-ratelimit-used']).toBe(first.headers['x-ratelimit-used']);

    const installation = await installationToken(installations.org);
    const repo = await request('GET /repos/{owner}/{repo}', {
      owner: 'octo-org',
      repo: 'alpha',
      headers: bearer(installation),
    });
    const lastModified = String(repo.headers['last-modified']);
    expect(Date.parse(lastModified)).toBeGreaterThan(0);
    const since = (headers: Record<string, string>) =>
      settle(
        request('GET /repos/{owner}/{repo}', {
          owner: 'octo-org',
          repo: 'alpha',
          headers: { ...bearer(installation), ...headers },
        }),
      );
    expect((await since({ 'if-modified-since': lastModified })).status).toBe(304);
    await fx.admin.advanceClock(5);
    await fx.admin.call('PATCH', '/repos/octo-org/alpha', { description: 'changed' });
    expect((await since({ 'if-modified-since': lastModified })).status).toBe(200);
  });
});

describe('control routes', () => {
  it('PUT /_emulator/limits {"enforce": false} relaxes every limit; true restores them; reset restores GitHub’s', async () => {
    expect(await fx.admin.setLimits({ primaryPerHour: 3, concurrent: 2, enforce: false })).toMatchObject({
      enforce: false,
      primaryPerHour: 3,
    });
    const token = await installationToken(installations.second);
    await fx.admin.setLatency(300);
    const relaxed = await Promise.all(Array.from({ length: 6 }, () => settle(listRepos(token))));
    expect(relaxed.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    expect(relaxed.some((answer) => answer.headers['x-ratelimit-remaining'] === '0')).toBe(true);

    await fx.admin.setLimits({ enforce: true });
    expect((await failure(listRepos(token))).status).toBe(403);

    const bad = await fetch(`${fx.emulator.url}/_emulator/limits`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enforce: 'no' }),
    });
    expect(bad.status).toBe(400);

    // POST /_emulator/reset empties the world too: use a throwaway emulator for it.
    const other = await startGitHubEmulator();
    try {
      const put = (body: unknown) =>
        fetch(`${other.url}/_emulator/limits`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await put({ enforce: false, pointsPerMinute: 10 })).status).toBe(200);
      await fetch(`${other.url}/_emulator/reset`, { method: 'POST' });
      expect(await (await fetch(`${other.url}/_emulator/limits`)).json()).toEqual(GITHUB_LIMITS);
    } finally {
      await other.close();
    }
  });

  it('POST /_emulator/webhooks/faults {"mode": "drop"} loses the next deliveries; GitHub lists them failed', async () => {
    const received = fx.receiver.hooks.length;
    expect(await fx.admin.dropWebhooks(2)).toEqual({ mode: 'drop', remaining: 2 });
    await fx.admin.createUser({ login: 'third-org', type: 'Organization' });
    await fx.admin.install({ appId: fx.app.id, account: 'third-org' });
    await fx.admin.call('POST', `/installations/${installations.second}/suspend`, {});
    await fx.admin.call('POST', `/installations/${installations.second}/unsuspend`, {});
    // Only the third delivery arrived.
    const arrived = fx.receiver.hooks
      .slice(received)
      .map((hook) => JSON.parse(hook.body) as { action: string });
    expect(arrived.map((hook) => hook.action)).toEqual(['unsuspend']);

    const { token: jwt } = await auth()({ type: 'app' });
    const { data } = await request('GET /app/hook/deliveries', {
      per_page: 3,
      headers: { authorization: `bearer ${jwt}` },
    });
    expect(data.map((item) => [item.action, item.status, item.status_code])).toEqual([
      ['unsuspend', 'OK', 200],
      ['suspend', 'timed out', 0],
      ['created', 'timed out', 0],
    ]);
    // A redelivery of a lost delivery arrives.
    const lost = data[1];
    await request('POST /app/hook/deliveries/{delivery_id}/attempts', {
      delivery_id: Number(lost?.id ?? 0),
      headers: { authorization: `bearer ${jwt}` },
    });
    expect(fx.receiver.hooks.length).toBe(received + 2);
  });
});
