/**
 * The GitHub emulator: faults, rate limits and the call log (run by test/integration/github-
 * emulator.test.ts).
 */
import { refreshToken } from '@octokit/oauth-methods';
import { failure, fx, request, signIn } from '../../support/emulator-suite.js';

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
