import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * A refresh whose answer comes later than the refresh timeout (issue 21, E), with many callers at once:
 * what each caller gets must be what docs/how-it-works.md's failure table says.
 */
let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService();
  await fx.admin.createUser({ login: 'slow-many' });
});
afterAll(() => fx?.close());

const CALLERS = 100;

it('GitHub answering the refresh after 14 s, 100 callers at once: every caller gets 401 reauthorization_required', async () => {
  const call = api(fx, await signIn(fx, 'slow-many'));
  const created = await call('/accounts', { method: 'POST', json: { name: 'slow team' } });
  const { id } = (await created.json()) as { id: string };
  await fx.admin.advanceClock(8 * 3600 + 60);
  // GitHub rotates the refresh token at once, and answers 14 s later.
  await fx.admin.fault({ route: '/login/oauth/access_token', mode: 'act-then-delay', delayMs: 14_000 });
  const answers = await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      const response = await call(`/accounts/${id}/installations`);
      const body = (await response.json()) as { error?: string };
      return `${response.status} ${body.error ?? ''}`;
    }),
  );
  const counts = Object.fromEntries(
    [...new Set(answers)].map((a) => [a, answers.filter((x) => x === a).length]),
  );
  expect(counts).toEqual({ '401 reauthorization_required': CALLERS });
});

it('every GitHub answer 13.5 s late (the latency control), 100 callers at once: 503 github_unavailable, the pair unspent, a retry refreshes', async () => {
  await fx.admin.createUser({ login: 'slow-latency' });
  const call = api(fx, await signIn(fx, 'slow-latency'));
  const created = await call('/accounts', { method: 'POST', json: { name: 'latency team' } });
  const { id } = (await created.json()) as { id: string };
  await fx.admin.advanceClock(8 * 3600 + 60);
  await fx.admin.clearCalls();
  // The first test's refresh may still be answering (14 s late) and be logged after the clear: only
  // calls started from here count.
  const since = Date.now();
  // Each caller's own call with its (expired) token is the first to time out (8 s): GitHub never said
  // 401, the refresh token was never spent, so a sign-in would be needless. 503 and a retry is right.
  await fx.admin.setLatency(13_500);
  let answers: string[];
  try {
    answers = await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        const response = await call(`/accounts/${id}/installations`);
        const body = (await response.json()) as { error?: string };
        return `${response.status} ${body.error ?? ''} ${response.headers.get('retry-after') !== null}`;
      }),
    );
  } finally {
    await fx.admin.setLatency(0);
  }
  // Never 401; each a 503 with Retry-After (service_unavailable: a DynamoDB read that timed out on a
  // busy machine, the table's first row).
  expect(
    answers.filter((a) => a !== '503 github_unavailable true' && a !== '503 service_unavailable true'),
  ).toEqual([]);
  expect(answers).toContain('503 github_unavailable true');
  const refreshes = async () =>
    (await fx.admin.calls('POST /login/oauth/access_token')).filter(
      (c) => c.grantType === 'refresh_token' && c.startMs >= since,
    );
  expect(await refreshes()).toHaveLength(0);
  expect((await call(`/accounts/${id}/installations`)).status).toBe(200);
  expect(await refreshes()).toHaveLength(1);
});
