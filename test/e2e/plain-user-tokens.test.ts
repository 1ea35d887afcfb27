import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

// Its own file: the handlers' configuration is per container (module), as in Lambda.
let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService({ expiringUserTokens: false });
  await fx.admin.createUser({ login: 'solo' });
});
afterAll(() => fx?.close());

describe('Apps with expiring user tokens turned off', () => {
  it('signs in and keeps a token pair with no refresh token and no expiry', async () => {
    const session = await signIn(fx, 'solo');
    expect(session.status).toBe(302);
    expect((await api(fx, session)('/me')).status).toBe(200);
    const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
    const token = Items.find((item) => item.SK?.S === 'TOKEN');
    expect(token?.accessToken?.S).toMatch(/^v2\./);
    expect(token?.refreshToken).toBeUndefined();
    expect(token?.accessExpiresAt).toBeUndefined();
    expect(token?.expiresAt).toBeUndefined();
  });

  it('uses the token as it is and asks for a new sign-in once GitHub rejects it', async () => {
    const { getUserTokens } = await import('../../functions/shared/auth/context.js');
    const { getServices } = await import('../../functions/shared/services.js');
    const { ReauthorizationRequiredError } = await import('../../functions/shared/errors.js');
    const userId = fx.emulator.world.accountByLogin('solo')?.id ?? 0;
    const tokens = await getUserTokens();
    const login = (token: string) =>
      getServices()
        .github('GET /user', { headers: { authorization: `token ${token}` } })
        .then(({ data }) => data.login);
    await fx.admin.advanceClock(365 * 24 * 3600);
    await expect(tokens.withToken(userId, login)).resolves.toBe('solo');
    await fx.admin.call('POST', '/authorizations/revoke', { login: 'solo' });
    await expect(tokens.withToken(userId, login)).rejects.toBeInstanceOf(ReauthorizationRequiredError);
  });
});
