import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { resetServicesForTests } from '../../functions/shared/services.js';
import { rotateLocalSecretsFile } from '../../scripts/rotate-keys.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

// Its own file: the handlers' configuration is per container (module), as in Lambda.
let fx: ServiceFixture;
const state = {
  accountId: '',
  orgInstallation: 0,
  oldKeyId: '',
  newKeyId: '',
  oldSession: '',
  newSession: '',
};
beforeAll(async () => {
  fx = await startService();
  await fx.admin.createUser({ login: 'rota' });
  await fx.admin.createUser({ login: 'away' });
  for (const org of ['rota-org', 'later-org'])
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['rota'] });
});
afterAll(() => fx?.close());

async function scan() {
  const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
  return Items.map((item) => ({
    PK: item.PK?.S ?? '',
    SK: item.SK?.S ?? '',
    accessToken: item.accessToken?.S,
    refreshToken: item.refreshToken?.S,
    value: item.value?.S,
    userId: Number(item.userId?.N),
  }));
}
const mints = async () =>
  (await fx.admin.calls('POST /app/installations/{installation_id}/access_tokens')).length;
const userId = (login: string) => fx.emulator.world.accountByLogin(login)?.id ?? 0;
const keyIdOf = (sealed: string | undefined) => sealed?.split('.')[1];

describe('rotating the service keys (npm run rotate-keys)', () => {
  it('keeps sessions, user tokens and cached installation tokens working after a rotation and a restart', async () => {
    const appId = Number(fx.secrets.githubApp.appId);
    const install = async (account: string) => (await fx.admin.install({ appId, account })).installation.id;
    const orgInstallation = await install('rota-org');
    const laterInstallation = await install('later-org');
    const session = await signIn(fx, 'rota');
    expect((await signIn(fx, 'away')).status).toBe(302); // signs in before the rotation, never after
    const before = api(fx, session);
    const { id: accountId } = (await (
      await before('/accounts', { method: 'POST', json: { name: 'Rotation' } })
    ).json()) as { id: string };
    const link = (call: typeof before, installationId: number) =>
      call(`/accounts/${accountId}/installations/${installationId}`, { method: 'PUT' });
    const createRepo = (call: typeof before, installationId: number, name: string) =>
      call(`/accounts/${accountId}/repositories`, { method: 'POST', json: { installationId, name } });
    expect((await link(before, orgInstallation)).status).toBe(201);
    expect((await createRepo(before, orgInstallation, 'before-rotation')).status).toBe(201);
    const oldKeyId = JSON.parse(readFileSync(fx.secretsFile, 'utf8')).serviceKeys.current.keyId as string;
    const cachedBefore = (await scan()).filter((item) => item.SK.startsWith('TOKEN#'));
    expect(cachedBefore.map((item) => keyIdOf(item.value))).toEqual([oldKeyId]);
    const mintsBefore = await mints();

    const summary = await rotateLocalSecretsFile(fx.secretsFile);
    expect(summary).toMatchObject({ retired: [oldKeyId], dropped: [] });
    const newKeyId = summary.current;
    expect(newKeyId).not.toBe(oldKeyId);
    resetServicesForTests(); // the restart: the container reads the rotated file again

    // What was sealed and hashed before the rotation still works: the session, the user's token,
    // and the cached installation token (used again, not minted again).
    const after = api(fx, session);
    const me = await after('/me');
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { login: 'rota' } });
    const listed = await after(`/accounts/${accountId}/installations`);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(await listed.json())).toContain('rota-org');
    expect((await createRepo(after, orgInstallation, 'after-rotation')).status).toBe(201);
    expect(await mints()).toBe(mintsBefore);
    Object.assign(state, { accountId, orgInstallation, oldKeyId, newKeyId, oldSession: session.sessionId });

    // What is written from now on carries the new key id.
    const fresh = await signIn(fx, 'rota');
    state.newSession = fresh.sessionId ?? '';
    const next = api(fx, fresh);
    expect((await next('/me')).status).toBe(200);
    expect((await link(next, laterInstallation)).status).toBe(201);
    expect((await createRepo(next, laterInstallation, 'new-key')).status).toBe(201);
    const items = await scan();
    const sessionKeyIds = items
      .filter((item) => item.PK.startsWith('SESSION#') && item.userId === userId('rota'))
      .map((item) => item.PK.slice('SESSION#'.length).split('.')[0]);
    expect(sessionKeyIds.sort()).toEqual([oldKeyId, newKeyId].sort());
    const userToken = items.find((item) => item.PK === `USER#${userId('rota')}` && item.SK === 'TOKEN');
    expect([keyIdOf(userToken?.accessToken), keyIdOf(userToken?.refreshToken)]).toEqual([newKeyId, newKeyId]);
    const cached = items.filter((item) => item.SK.startsWith('TOKEN#'));
    expect(cached.map((item) => [item.PK, keyIdOf(item.value)]).sort()).toEqual(
      [
        [`INSTALLATION#${orgInstallation}`, oldKeyId],
        [`INSTALLATION#${laterInstallation}`, newKeyId],
      ].sort(),
    );
  });

  it('dropping a key ends what it sealed: its sessions sign in again, its cached tokens are minted again (never a 500)', async () => {
    const summary = await rotateLocalSecretsFile(fx.secretsFile, { drop: [state.oldKeyId] });
    expect(summary).toMatchObject({ retired: [state.newKeyId], dropped: [state.oldKeyId] });
    resetServicesForTests();
    expect((await api(fx, { sessionId: state.oldSession })('/me')).status).toBe(401);
    const current = api(fx, { sessionId: state.newSession });
    expect((await current('/me')).status).toBe(200);
    const mintsBefore = await mints();
    const created = await current(`/accounts/${state.accountId}/repositories`, {
      method: 'POST',
      json: { installationId: state.orgInstallation, name: 'after-drop' },
    });
    expect(created.status).toBe(201);
    expect(await mints()).toBe(mintsBefore + 1);
    const cached = (await scan()).find(
      (item) => item.PK === `INSTALLATION#${state.orgInstallation}` && item.SK.startsWith('TOKEN#'),
    );
    expect(keyIdOf(cached?.value)).toBe(summary.current);
  });

  it('a user token sealed with a dropped key asks for a new sign-in (401), never a 500', async () => {
    const { getUserTokens } = await import('../../functions/shared/auth/context.js');
    const { ReauthorizationRequiredError } = await import('../../functions/shared/errors.js');
    const stored = (await scan()).find((item) => item.PK === `USER#${userId('away')}` && item.SK === 'TOKEN');
    expect(keyIdOf(stored?.accessToken)).toBe(state.oldKeyId); // dropped in the test above
    await expect((await getUserTokens()).get(userId('away'))).rejects.toBeInstanceOf(
      ReauthorizationRequiredError,
    );
  });
});
