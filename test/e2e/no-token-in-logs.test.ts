import { jest } from '@jest/globals';

// Log everything in this file (the default in tests is silent); set before the logger module loads.
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
const lines: string[] = [];
const capture = (chunk: string | Uint8Array) => {
  lines.push(String(chunk));
  return true;
};
const spies = [
  jest.spyOn(process.stdout, 'write').mockImplementation(capture),
  jest.spyOn(process.stderr, 'write').mockImplementation(capture),
];
const { api, signIn, startService } = await import('../support/service.js');
const { getUserTokens } = await import('../../functions/shared/auth/context.js');
const { getServices } = await import('../../functions/shared/services.js');

afterAll(() => {
  for (const spy of spies) spy.mockRestore();
});

describe('logs', () => {
  it('carry request ids and no token through sign-in, refresh, failures and sign-out', async () => {
    const fx = await startService();
    try {
      await fx.admin.createUser({ login: 'octo-demo' });
      const session = await signIn(fx, 'octo-demo');
      const userId = fx.emulator.world.accountByLogin('octo-demo')?.id ?? 0;
      const tokens = await getUserTokens();
      const login = (token: string) =>
        getServices()
          .github('GET /user', { headers: { authorization: `token ${token}` } })
          .then(({ data }) => data.login);
      await fx.admin.advanceClock(8 * 3600 + 60);
      await tokens.withToken(userId, login);
      await fx.admin.advanceClock(8 * 3600 + 60);
      await fx.admin.fault({ route: '/login/oauth/access_token', status: 500 });
      await tokens.withToken(userId, login).catch(() => undefined);
      await fx.admin.call('POST', '/authorizations/revoke', { login: 'octo-demo' });
      await tokens.withToken(userId, login).catch(() => undefined);
      await api(fx, { sessionId: `${session.sessionId ?? ''}x` })('/me');
      await api(fx, session)('/auth/logout', { method: 'POST' });
    } finally {
      await fx.close();
    }
    const output = lines.join('');
    expect(output).toContain('"message":"User signed in"');
    expect(output).toContain('"message":"GitHub refused the refresh token"');
    expect(output).toMatch(/"requestId":"[0-9a-f-]{36}"/);
    expect(output).not.toMatch(/gh[usr]_[A-Za-z0-9]{20}/);
    expect(output).not.toMatch(/session=[A-Za-z0-9_-]{43}/);
  });
});
