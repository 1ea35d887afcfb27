import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { withInstallationToken } from '../../functions/shared/github/app-auth.js';
import { RepositoryIndexStore } from '../../functions/shared/store/repository-index-store.js';
import { seedIndex } from '../support/repository-index.js';
import { postWebhook, startService, type ServiceFixture } from '../support/service.js';

/**
 * `repository` webhook events: the App subscribes to them (docs/deploy.md "4. Register the GitHub App"). They
 * keep the repository index true (docs/repository-index.md), and drop the installation's cached
 * tokens when a repository's name stops meaning the repository a token was narrowed to.
 */
let fx: ServiceFixture;
let installationId: number;
beforeAll(async () => {
  fx = await startService({ appEvents: ['repository'] });
  await fx.admin.createUser({ login: 'repo-owner' });
  await fx.admin.createUser({ login: 'events-org', type: 'Organization', admins: ['repo-owner'] });
  await fx.admin.createRepositories('events-org', { names: ['web', 'docs'] });
  installationId = (
    await fx.admin.install({ appId: Number(fx.secrets.githubApp.appId), account: 'events-org' })
  ).installation.id;
  await seedIndex(fx, installationId);
});

const indexed = async (id = installationId) => {
  const store = new RepositoryIndexStore(fx.table.table);
  const ids = [...(await store.indexedIds(id)).keys()];
  return Promise.all(ids.map(async (repositoryId) => store.get(id, repositoryId)));
};
const indexedNamed = async (name: string, id = installationId) =>
  (await indexed(id)).find((repo) => repo?.name === name);
afterAll(() => fx?.close());

const post = (payload: unknown, deliveryId?: string) => postWebhook(fx, 'repository', payload, deliveryId);

async function items(prefix: string) {
  const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
  return Items.filter((item) => item.PK?.S?.startsWith(prefix));
}

const deliveryRecord = async (guid: string) => (await items(`DELIVERY#${guid}`))[0];
const cachedTokens = async () =>
  (await items(`INSTALLATION#${installationId}`)).filter((item) => item.SK?.S?.startsWith('TOKEN#'));

/** Reads a repository the way the repositories routes do: a token narrowed to it by name. */
const readRepository = (name: string) =>
  withInstallationToken(
    installationId,
    { permissions: { metadata: 'read' }, repositoryNames: [name] },
    async (token) => {
      const response = await fetch(`${fx.emulator.url}/repos/events-org/${name}`, {
        headers: { authorization: `token ${token}` },
      });
      return { status: response.status, id: ((await response.json()) as { id?: number }).id };
    },
  );

describe('repository events', () => {
  it('a malformed repository payload is 400 invalid_payload naming the field, recorded as invalid', async () => {
    const malformed: Array<[Record<string, unknown>, string]> = [
      [
        { action: 'renamed', repository: { id: 'seven', full_name: 'a/b' }, installation: { id: 1 } },
        'repository.id',
      ],
      [{ action: 'deleted', installation: { id: 1 } }, 'repository'],
      [
        { action: 'archived', repository: { id: 7, full_name: 'a/b' }, installation: { id: -1 } },
        'installation.id',
      ],
    ];
    for (const [payload, field] of malformed) {
      const deliveryId = randomUUID();
      const answer = await post(payload, deliveryId);
      expect([answer.status, answer.body.error]).toEqual([400, 'invalid_payload']);
      expect(String(answer.body.message)).toContain(field);
      const record = await deliveryRecord(deliveryId);
      expect([record?.status?.S, record?.outcome?.S]).toEqual(['done', 'invalid']);
    }
    // An action GitHub may add later is recorded as ignored, not refused.
    const unknown = await post({ action: 'someday', repository: { id: 7 } });
    expect(unknown).toEqual({ status: 202, body: { status: 'ignored' } });
  });

  it('changes that leave names alone are applied to the index: archived, visibility, edited', async () => {
    const changes = [
      await fx.admin.archiveRepository('events-org', 'docs'),
      await fx.admin.archiveRepository('events-org', 'docs', false),
      await fx.admin.setRepositoryVisibility('events-org', 'docs', 'private'),
      await fx.admin.makeTemplate('events-org', 'docs'),
    ];
    const deliveries = changes.flatMap((change) => change.deliveries);
    expect(deliveries.map((delivery) => [delivery.event, delivery.action, delivery.status_code])).toEqual([
      ['repository', 'archived', 200],
      ['repository', 'unarchived', 200],
      ['repository', 'privatized', 200],
      ['repository', 'edited', 200],
    ]);
    for (const delivery of deliveries) {
      const record = await deliveryRecord(delivery.guid);
      expect([record?.status?.S, record?.outcome?.S]).toEqual(['done', 'applied']);
    }
    expect(await indexedNamed('docs')).toMatchObject({
      archived: false,
      private: true,
      visibility: 'private',
    });
    await fx.admin.archiveRepository('events-org', 'docs');
    expect(await indexedNamed('docs')).toMatchObject({ archived: true });
    await fx.admin.archiveRepository('events-org', 'docs', false);
  });

  it('a late older event neither brings a deleted repository back nor reverts a newer rename', async () => {
    const [made] = await fx.admin.createRepositories('events-org', { names: ['late'] });
    const id = made?.id ?? 0;
    const old = await indexedNamed('late');
    expect(old?.id).toBe(id);
    const stale = {
      action: 'renamed',
      repository: {
        id,
        name: 'late',
        full_name: 'events-org/late',
        owner: { login: 'events-org' },
        private: false,
        html_url: `${fx.emulator.url}/events-org/late`,
        updated_at: '2020-01-01T00:00:00Z',
      },
      installation: { id: installationId },
    };
    await fx.admin.advanceClock(5);
    await fx.admin.renameRepository('events-org', 'late', 'later');
    expect((await post(stale)).status).toBeLessThan(300);
    expect(await indexedNamed('later')).toBeDefined();
    expect(await indexedNamed('late')).toBeUndefined();
    await fx.admin.deleteRepository('events-org', 'later');
    expect(await indexedNamed('later')).toBeUndefined();
    const resurrect = {
      ...stale,
      repository: { ...stale.repository, name: 'later', full_name: 'events-org/later' },
    };
    expect((await post({ ...resurrect, action: 'edited' })).status).toBeLessThan(300);
    expect(await indexedNamed('later')).toBeUndefined();
  });

  it('a transfer moves the repository to the new owner’s installation and off the old owner’s', async () => {
    await fx.admin.createUser({ login: 'other-org', type: 'Organization', admins: ['repo-owner'] });
    const other = (
      await fx.admin.install({ appId: Number(fx.secrets.githubApp.appId), account: 'other-org' })
    ).installation.id;
    await fx.admin.createRepositories('events-org', { names: ['moving'] });
    expect(await indexedNamed('moving')).toBeDefined();
    await fx.admin.transferRepository('events-org', 'moving', 'other-org');
    expect(await indexedNamed('moving')).toBeUndefined();
    expect(await indexedNamed('moving', other)).toMatchObject({
      owner: 'other-org',
      fullName: 'other-org/moving',
    });
  });

  it('a repository deleted, or renamed, and made again under the same name is readable at once', async () => {
    const first = await readRepository('web');
    expect(first.status).toBe(200);
    expect((await cachedTokens()).length).toBeGreaterThan(0);
    const { deliveries } = await fx.admin.deleteRepository('events-org', 'web');
    expect(deliveries.map((delivery) => [delivery.action, delivery.status_code])).toEqual([['deleted', 200]]);
    expect(await cachedTokens()).toEqual([]);
    await fx.admin.createRepositories('events-org', { names: ['web'] });
    await fx.admin.clearCalls();
    const again = await readRepository('web');
    // The event cost no GitHub call; the next read mints one token, then reads.
    expect((await fx.admin.calls()).map((call) => `${call.method} ${call.route}`)).toEqual([
      'POST /app/installations/{installation_id}/access_tokens',
      'GET /repos/{owner}/{repo}',
    ]);
    expect(again.status).toBe(200);
    expect(again.id).not.toBe(first.id);

    await fx.admin.renameRepository('events-org', 'web', 'web-old');
    await fx.admin.createRepositories('events-org', { names: ['web'] });
    const third = await readRepository('web');
    expect(third.status).toBe(200);
    expect([third.id === again.id, third.id === first.id]).toEqual([false, false]);
  });

  it('installation_repositories: added inserts GitHub’s minimal repositories, removed removes', async () => {
    await fx.admin.call('POST', `/installations/${installationId}/repositories`, { remove: ['docs'] });
    expect(await indexedNamed('docs')).toBeUndefined();
    await fx.admin.call('POST', `/installations/${installationId}/repositories`, { add: ['docs'] });
    expect(await indexedNamed('docs')).toMatchObject({
      fullName: 'events-org/docs',
      owner: 'events-org',
      htmlUrl: `${fx.emulator.url}/events-org/docs`,
    });
  });
});
