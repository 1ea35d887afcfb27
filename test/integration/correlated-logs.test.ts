import { captureOutput } from '../support/capture-output.js';

// Every line, so each request logs something; set before the logger module loads.
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
const output = captureOutput();
const { api, FRONTEND, signIn, startService } = await import('../support/service.js');

afterAll(() => output.restore());

type LogLine = Record<string, unknown> & { requestId?: string; routeKey?: string; function_name?: string };

/** The handlers' JSON log lines (EMF metric lines carry `_aws` and are left out). */
function logLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => !('_aws' in line) && 'level' in line);
}

describe('correlated logs', () => {
  it('keep each request to its own keys when requests to different functions run concurrently', async () => {
    const fx = await startService();
    try {
      await fx.admin.createUser({ login: 'octo-demo' });
      const session = await signIn(fx, 'octo-demo');
      const userId = fx.emulator.world.accountByLogin('octo-demo')?.id ?? 0;
      const before = output.text().length;
      const asUser = api(fx, session);
      const anonymous = api(fx, {});
      // Interleaved on purpose: the handlers all run in this one process, as under `npm start`.
      const requests = Array.from({ length: 6 }, (_, i) => [
        { routeKey: 'GET /me', fn: 'session', user: true, send: () => asUser('/me') },
        {
          routeKey: 'GET /accounts/{accountId}/installations',
          fn: 'list-installations',
          user: false,
          account: `acct-a${i}`,
          send: () => anonymous(`/accounts/acct-a${i}/installations`),
        },
        {
          routeKey: 'GET /accounts/{accountId}',
          fn: 'accounts',
          user: true,
          account: `acct-${i}`,
          send: () => asUser(`/accounts/acct-${i}`),
        },
      ]).flat();
      const answers = await Promise.all(requests.map((request) => request.send()));
      const lines = logLines(output.text().slice(before));

      const ids = answers.map((answer) => answer.headers.get('x-request-id'));
      expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id ?? ''))).toBe(true);
      expect(new Set(ids).size).toBe(requests.length);
      requests.forEach((request, i) => {
        const mine = lines.filter((line) => line.requestId === ids[i]);
        expect(mine.length).toBeGreaterThan(0);
        for (const line of mine) {
          expect(line).toMatchObject({ routeKey: request.routeKey });
          expect(String(line.function_name)).toContain(request.fn);
          if (request.user) expect(line).toMatchObject({ userId });
          else expect(line).not.toHaveProperty('userId');
          if (request.account) expect(line).toMatchObject({ accountId: request.account });
          else expect(line).not.toHaveProperty('accountId');
        }
      });
      // Every line a request wrote is one of these requests'.
      expect(lines.every((line) => ids.includes(line.requestId ?? null))).toBe(true);
    } finally {
      await fx.close();
    }
  });

  it('answer x-request-id on rejections and on answers the local server gives itself', async () => {
    const fx = await startService();
    try {
      const before = output.text().length;
      const rejected = await api(fx, {})('/me');
      expect(rejected.status).toBe(401);
      const id = rejected.headers.get('x-request-id');
      const lines = logLines(output.text().slice(before)).filter((line) => line.requestId === id);
      // At DEBUG the reason for a 4xx is logged, correlated.
      expect(lines.some((line) => line.level === 'DEBUG' && typeof line.reason === 'string')).toBe(true);
      const unknown = await fetch(`${fx.api.url}/no-such-route`);
      expect(unknown.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      // A frontend on an allowed origin may read it.
      const fromFrontend = await fetch(`${fx.api.url}/health`, { headers: { origin: FRONTEND } });
      expect(fromFrontend.headers.get('access-control-expose-headers')).toBe('x-request-id');
    } finally {
      await fx.close();
    }
  });
});
