import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { resetServicesForTests } from '../../functions/shared/services.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

// Its own file: the handlers' configuration is per container (module), as in Lambda.
let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService();
  await fx.admin.createUser({ login: 'rota' });
  await fx.admin.createUser({ login: 'rota-org', type: 'Organization', members: ['rota'] });
});
afterAll(() => fx.close());

async function scan() {
  const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
  return Items;
}

describe('rotating the service keys', () => {
  it('keeps sessions, user tokens and cached installation tokens working after a rotation and a restart', async () => {
    const appId = Number(fx.secrets.githubApp.appId);
    const installationId = (await fx.admin.install({ appId, account: 'rota-org' })).installation.id;
    const session = await signIn(fx, 'rota');
    const before = api(fx, session);
    const { id: accountId } = (await (
      await before('/accounts', { method: 'POST', json: { name: 'Rotation' } })
    ).json()) as { id: string };
    expect(
      (await before(`/accounts/${accountId}/installations/${installationId}`, { method: 'PUT' })).status,
    ).toBe(201);
    const created = await before(`/accounts/${accountId}/repositories`, {
      method: 'POST',
      json: { installationId, name: 'before-rotation' },
    });
    expect(created.status).toBe(201);
    expect((await scan()).filter((item) => item.SK?.S?.startsWith('TOKEN#'))).toHaveLength(1);

    // The rotation as an operator can do it today: new key material in the secret.
    const file = JSON.parse(readFileSync(fx.secretsFile, 'utf8')) as Record<string, unknown>;
    file.serviceKeys = { keyMaterial: randomBytes(48).toString('base64url') };
    writeFileSync(fx.secretsFile, JSON.stringify(file), { mode: 0o600 });

    // "Restart": the container forgets its secrets and reads the rotated file.
    resetServicesForTests();
    const restarted = fx;
    const fresh = api(restarted, await signIn(restarted, 'rota'));
    const newRepo = await fresh(`/accounts/${accountId}/repositories`, {
      method: 'POST',
      json: { installationId, name: 'fresh-session' },
    });
    expect([newRepo.status, await newRepo.text()]).toEqual([201, expect.anything()]);
    const after = api(restarted, session);
    expect((await after('/me')).status).toBe(200);
    expect((await after(`/accounts/${accountId}/installations`)).status).toBe(200);
    const again = await after(`/accounts/${accountId}/repositories`, {
      method: 'POST',
      json: { installationId, name: 'after-rotation' },
    });
    expect(again.status).toBe(201);
  });
});
