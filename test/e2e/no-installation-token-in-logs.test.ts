import { captureOutput } from '../support/capture-output.js';
import { TOKEN_IN_LOGS } from '../support/token-patterns.js';

// Log everything in this file (the default in tests is silent); set before the logger module loads.
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
const output = captureOutput();
const { api, signIn, startService } = await import('../support/service.js');
const { logger } = await import('../../functions/shared/logger.js');

afterAll(() => output.restore());

describe('logs', () => {
  it('carry no piece of the emulator’s new-format installation tokens (ghs_<appId>_<JWT>), even in errors', async () => {
    const fx = await startService();
    let tokens: string[] = [];
    try {
      const appId = Number(fx.secrets.githubApp.appId);
      await fx.admin.createUser({ login: 'octo-demo' });
      await fx.admin.createUser({ login: 'octo-org', type: 'Organization', admins: ['octo-demo'] });
      await fx.admin.createRepositories('octo-org', { names: ['api', 'web'] });
      const installationId = (await fx.admin.install({ appId, account: 'octo-org' })).installation.id;
      const call = api(fx, await signIn(fx, 'octo-demo'));
      const created = await call('/accounts', { method: 'POST', json: { name: 'Demo' } });
      const { id } = (await created.json()) as { id: string };
      const linked = await call(`/accounts/${id}/installations/${installationId}`, { method: 'PUT' });
      expect(linked.status).toBe(201);
      // Reading a tree mints an installation token (the list answers from the index and mints none).
      expect((await call(`/accounts/${id}/repositories/octo-org/api/tree`)).status).toBe(200);
      tokens = [...fx.emulator.world.installationTokens.keys()];
      expect(tokens.length).toBeGreaterThan(0);
      // A token that reaches a log line inside a message, an attribute, a URL or an error.
      const [token = ''] = tokens;
      logger.error(`GitHub refused token=${token}`, {
        detail: `Authorization failed for ${token}.`,
        url: `https://api.github.com/installation/repositories?access_token=${token}&page=2`,
        error: new Error(`request with token=${token} failed`),
      });
    } finally {
      await fx.close();
    }
    const logs = output.text();
    expect(logs).not.toMatch(TOKEN_IN_LOGS);
    expect(logs).toContain('GitHub refused token=[REDACTED]');
    for (const token of tokens) {
      expect(token).toMatch(/^ghs_\d+_[\w-]+\.[\w-]+\.[\w-]+$/);
      for (const part of token.split('.')) expect(logs).not.toContain(part);
    }
  });
});
