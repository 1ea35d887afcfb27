import { captureOutput } from '../support/capture-output.js';
import { TOKEN_IN_LOGS } from '../support/token-patterns.js';

// Log everything in this file (the default in tests is silent); set before the logger module loads.
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
const output = captureOutput();
const { api, signIn, startService } = await import('../support/service.js');
const { getUserTokens } = await import('../../functions/shared/auth/context.js');
const { getServices } = await import('../../functions/shared/services.js');

afterAll(() => output.restore());

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
    const logs = output.text();
    expect(logs).toContain('"message":"User signed in"');
    expect(logs).toContain('"message":"Authorization revoked: tokens and sessions removed"');
    expect(logs).toMatch(/"requestId":"[0-9a-f-]{36}"/);
    expect(logs).not.toMatch(TOKEN_IN_LOGS);
    expect(logs).not.toMatch(/session=[A-Za-z0-9_-]{43}/);
  });
});
