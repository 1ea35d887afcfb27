import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { withInstallationToken } from '../../functions/shared/github/app-auth.js';
import { postWebhook, startService, type ServiceFixture } from '../support/service.js';

/**
 * `repository` webhook events: the App subscribes to them (README "Register the GitHub App"); the
 * service keeps no repository index, so they change nothing but the installation's cached tokens
 * when a repository's name stops meaning the repository a token was narrowed to.
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
});
afterAll(() => fx.close());

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

  it('changes that leave names alone reach the service as signed deliveries, recorded as ignored', async () => {
    const changes = [
      await fx.admin.archiveRepository('events-org', 'docs'),
      await fx.admin.archiveRepository('events-org', 'docs', false),
      await fx.admin.setRepositoryVisibility('events-org', 'docs', 'private'),
      await fx.admin.makeTemplate('events-org', 'docs'),
    ];
    const deliveries = changes.flatMap((change) => change.deliveries);
    expect(deliveries.map((delivery) => [delivery.event, delivery.action, delivery.status_code])).toEqual([
      ['repository', 'archived', 202],
      ['repository', 'unarchived', 202],
      ['repository', 'privatized', 202],
      ['repository', 'edited', 202],
    ]);
    for (const delivery of deliveries) {
      const record = await deliveryRecord(delivery.guid);
      expect([record?.status?.S, record?.outcome?.S]).toEqual(['done', 'ignored']);
    }
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
});
