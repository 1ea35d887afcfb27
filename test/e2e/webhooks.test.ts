import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { sign } from '@octokit/webhooks-methods';
import { createRequire } from 'node:module';
import { logger } from '../../functions/shared/logger.js';
import { getServices } from '../../functions/shared/services.js';
import { InstallationStore } from '../../functions/shared/store/installation-store.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';
import { installationPayload } from '../support/events.js';

let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService();
});
afterAll(() => fx?.close());

type PostOptions = {
  deliveryId?: string;
  signature?: string;
  contentType?: string;
  headers?: Record<string, string>;
};

async function post(event: string, payload: unknown, options: PostOptions = {}) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const response = await fetch(`${fx.api.url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'x-github-event': event,
      'x-github-delivery': options.deliveryId ?? randomUUID(),
      'x-hub-signature-256': options.signature ?? (await sign(fx.secrets.githubApp.webhookSecret, body)),
      'user-agent': 'GitHub-Hookshot/test',
      ...options.headers,
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function scan(prefix: string) {
  const { Items = [] } = await fx.table.raw.send(new ScanCommand({ TableName: fx.table.tableName }));
  return Items.filter((item) => item.PK?.S?.startsWith(prefix));
}

const details = (id: number) => new InstallationStore(getServices().table).getDetails(id);

// GitHub's published example payloads: an array of events, each with its examples.
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{
  name: string;
  examples: unknown[];
}>;

describe('verification comes first', () => {
  it('refuses missing headers (400), a wrong signature (401) and a non-JSON content type (415), writing nothing', async () => {
    const payload = installationPayload(1, 'created');
    const missing = await fetch(`${fx.api.url}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'missing_headers' });
    const forged = await post('installation', payload, { signature: `sha256=${'0'.repeat(64)}` });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ error: 'invalid_signature' });
    const form = await post('installation', 'payload=%7B%7D', {
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect(await scan('DELIVERY#')).toEqual([]);
    expect(await details(1)).toBeUndefined();
  });

  it('refuses a replayed signature over a changed body', async () => {
    const original = JSON.stringify(installationPayload(2, 'created'));
    const signature = await sign(fx.secrets.githubApp.webhookSecret, original);
    expect((await post('installation', original, { signature })).status).toBe(200);
    const changed = original.replace('"org-2"', '"evil-org"');
    const replay = await post('installation', changed, { signature });
    expect(replay.status).toBe(401);
    expect((await details(2))?.accountLogin).toBe('org-2');
  });
});

describe('malformed payloads', () => {
  const valid = installationPayload(900, 'created');
  const { account: _account, ...withoutAccount } = valid.installation;
  const malformed: Array<[string, string, Record<string, unknown>, string]> = [
    ['installation', 'created', { ...valid, installation: withoutAccount }, 'installation.account'],
    [
      'installation',
      'created',
      { ...valid, installation: { ...valid.installation, id: '900' } },
      'installation.id',
    ],
    ['installation', 'deleted', { action: 'deleted', installation: null }, 'installation'],
    ['installation', 'created', { action: 'created', sender: valid.sender }, 'installation'],
    [
      'installation',
      'suspend',
      { ...valid, action: 'suspend', installation: { ...valid.installation, permissions: 'all' } },
      'installation.permissions',
    ],
    [
      'installation',
      'created',
      { ...valid, installation: { ...valid.installation, account: { id: 5, type: 'User' } } },
      'installation.account',
    ],
    ['installation', '5', { ...valid, action: 5 }, 'action'],
    [
      'installation_repositories',
      'added',
      { ...valid, action: 'added', repository_selection: 42 },
      'repository_selection',
    ],
    [
      'installation_target',
      'renamed',
      { action: 'renamed', installation: { id: 900 }, target_type: 'Organization' },
      'account',
    ],
    [
      'installation_target',
      'renamed',
      { action: 'renamed', account: { id: 1, login: 'x' }, installation: {}, target_type: 'User' },
      'installation.id',
    ],
    ['github_app_authorization', 'revoked', { action: 'revoked', sender: { login: 'octo' } }, 'sender.id'],
  ];

  it('answers 400 invalid_payload naming the field, records the delivery as invalid and changes nothing', async () => {
    for (const [event, action, payload, field] of malformed) {
      const deliveryId = randomUUID();
      const answer = await post(event, payload, { deliveryId });
      expect([event, action, answer.status, answer.body.error]).toEqual([
        event,
        action,
        400,
        'invalid_payload',
      ]);
      expect(String(answer.body.message)).toContain(field);
      const [record] = await scan(`DELIVERY#${deliveryId}`);
      expect([event, action, record?.status?.S, record?.outcome?.S]).toEqual([
        event,
        action,
        'done',
        'invalid',
      ]);
    }
    expect(await details(900)).toBeUndefined();
    expect(await scan('INSTALLATION#900')).toEqual([]);
  });

  it('logs which field was wrong, never the payload', async () => {
    const marker = `secret-looking-${randomUUID()}`;
    const warn = jest.spyOn(logger, 'warn');
    try {
      const answer = await post('installation', {
        ...valid,
        installation: { ...valid.installation, account: { login: marker } },
      });
      expect(answer.status).toBe(400);
      expect(warn.mock.calls).toEqual([['Invalid webhook payload', { fields: ['installation.account.id'] }]]);
      expect(JSON.stringify(warn.mock.calls)).not.toContain(marker);
    } finally {
      warn.mockRestore();
    }
  });

  it('answers a redelivery of the same invalid delivery the same way, without processing it again', async () => {
    const deliveryId = randomUUID();
    const payload = { ...valid, installation: withoutAccount };
    const first = await post('installation', payload, { deliveryId });
    const [before] = await scan(`DELIVERY#${deliveryId}`);
    const again = await post('installation', payload, { deliveryId });
    expect(again).toEqual(first);
    const [after] = await scan(`DELIVERY#${deliveryId}`);
    // Answered from the record: not claimed, validated or finished a second time.
    expect(after?.outcome?.S).toBe('invalid');
    expect(after?.attempts).toEqual({ N: '1' });
    expect(after?.finishedAt).toEqual(before?.finishedAt);
  });
});

describe('exactly-once effects', () => {
  it('applies a delivery posted twice once', async () => {
    const deliveryId = randomUUID();
    const first = await post('installation', installationPayload(3, 'created'), { deliveryId });
    expect(first).toEqual({ status: 200, body: { status: 'applied' } });
    // Something newer lands in between; the duplicate must not roll it back.
    await post(
      'installation',
      installationPayload(3, 'suspend', {
        suspended_at: '2026-02-01T00:00:00Z',
        updated_at: '2026-02-01T00:00:00Z',
      }),
    );
    const second = await post('installation', installationPayload(3, 'created'), { deliveryId });
    expect(second).toEqual({ status: 200, body: { status: 'duplicate' } });
    expect((await details(3))?.suspendedAt).toBe('2026-02-01T00:00:00Z');
  });

  it('processes again a delivery that failed (fault in the table write) when it is redelivered', async () => {
    const client = getServices().table.client;
    const send = client.send.bind(client);
    let failures = 1;
    client.send = ((command: unknown) => {
      if (command instanceof TransactWriteCommand && failures-- > 0)
        return Promise.reject(new Error('injected DynamoDB fault'));
      return send(command as never);
    }) as typeof client.send;
    try {
      const deliveryId = randomUUID();
      const failed = await post('installation', installationPayload(4, 'created'), { deliveryId });
      expect(failed.status).toBe(500);
      expect(failed.body).toEqual({ error: 'internal_error', message: 'Something went wrong on our side.' });
      expect(await details(4)).toBeUndefined();
      const redelivered = await post('installation', installationPayload(4, 'created'), { deliveryId });
      expect(redelivered).toEqual({ status: 200, body: { status: 'applied' } });
      expect((await details(4))?.accountLogin).toBe('org-4');
    } finally {
      client.send = send;
    }
  });

  it('never applies older over newer: deleted, then an older created, leaves it deleted', async () => {
    await post('installation', installationPayload(5, 'created'));
    expect((await post('installation', installationPayload(5, 'deleted'))).status).toBe(200);
    const late = await post('installation', installationPayload(5, 'created'));
    expect(late).toEqual({ status: 202, body: { status: 'ignored' } });
    expect(await details(5)).toBeUndefined();
    const older = await post(
      'installation',
      installationPayload(6, 'created', { updated_at: '2026-03-01T00:00:00Z' }),
    );
    expect(older.status).toBe(200);
    const stale = await post(
      'installation',
      installationPayload(6, 'suspend', {
        suspended_at: '2025-12-01T00:00:00Z',
        updated_at: '2025-12-01T00:00:00Z',
      }),
    );
    expect(stale.status).toBe(202);
    expect((await details(6))?.suspendedAt).toBeNull();
  });
});

describe('events', () => {
  it('an uninstall linked to 500 accounts unlinks every one in one delivery and drops cached tokens', async () => {
    const store = new InstallationStore(getServices().table);
    await post('installation', installationPayload(7, 'created'));
    const seven = await store.getDetails(7);
    if (!seven) throw new Error('installation 7 was not stored');
    for (let i = 0; i < 500; i++) await store.linkWithDetails(seven, `acct${i}`, 1);
    await getServices().table.put({
      PK: 'INSTALLATION#7',
      SK: 'TOKEN#abc',
      value: 'sealed',
      tokenExpiresAt: Date.now() + 3_600_000,
    });
    const deleted = await post('installation', installationPayload(7, 'deleted'));
    expect(deleted.status).toBe(200);
    expect(await store.accountsOfInstallation(7)).toEqual([]);
    expect((await scan('INSTALLATION#7')).map((item) => item.SK?.S)).toEqual(['TOMBSTONE']);
  });

  it('accepts every example payload GitHub publishes with a 2xx, never a 5xx', async () => {
    const statuses = new Map<string, number>();
    for (const example of examples) {
      for (const payload of example.examples) {
        const { status } = await post(example.name, payload);
        const action = (payload as { action?: string }).action;
        statuses.set(`${example.name}${action ? `.${action}` : ''}#${statuses.size}`, status);
      }
    }
    const failures = [...statuses].filter(([, status]) => status < 200 || status >= 300);
    expect(failures).toEqual([]);
    expect([...statuses.values()]).toEqual(expect.arrayContaining([200, 202]));
    expect(statuses.size).toBeGreaterThan(300);
    // Over 300 deliveries one after another: a busy machine needs more than the default minute.
  }, 180_000);
});

describe('through the emulator', () => {
  it('install, suspend, unsuspend, rename, revoke and uninstall reach the service as signed deliveries', async () => {
    const appId = Number(fx.secrets.githubApp.appId);
    await fx.admin.createUser({ login: 'dana' });
    await fx.admin.createUser({ login: 'dana-org', type: 'Organization', admins: ['dana'] });
    const signed = await signIn(fx, 'dana');
    const dana = api(fx, signed);
    const account = (
      (await (await dana('/accounts', { method: 'POST', json: { name: 'Dana team' } })).json()) as {
        id: string;
      }
    ).id;
    const other = (
      (await (await dana('/accounts', { method: 'POST', json: { name: 'Dana two' } })).json()) as {
        id: string;
      }
    ).id;

    const { installation } = await fx.admin.install({ appId, account: 'dana-org' });
    const id = installation.id;
    expect((await details(id))?.accountLogin).toBe('dana-org'); // installation.created stored it
    for (const team of [account, other])
      expect((await dana(`/accounts/${team}/installations/${id}`, { method: 'PUT' })).status).toBe(201);

    const repo = (name: string) =>
      dana(`/accounts/${account}/repositories`, { method: 'POST', json: { installationId: id, name } });
    expect((await repo('first')).status).toBe(201);

    await fx.admin.suspend(id);
    expect((await details(id))?.suspendedAt).not.toBeNull();
    const suspended = await repo('while-suspended');
    expect(suspended.status).toBe(409);
    expect(await suspended.json()).toMatchObject({ error: 'installation_suspended' });
    const listed = (await (await dana(`/accounts/${account}/installations`)).json()) as {
      installations: Array<{ id: number; suspended?: boolean }>;
    };
    expect(listed.installations.find((i) => i.id === id)?.suspended).toBe(true);
    expect((await scan(`INSTALLATION#${id}`)).filter((item) => item.SK?.S?.startsWith('TOKEN#'))).toEqual([]);

    await fx.admin.unsuspend(id);
    expect((await repo('after-unsuspend')).status).toBe(201);

    await fx.admin.call('POST', '/users/dana-org/rename', { login: 'dana-labs' });
    expect((await details(id))?.accountLogin).toBe('dana-labs');
    const renamed = await repo('after-rename');
    expect(renamed.status).toBe(201);
    expect(await renamed.json()).toMatchObject({ fullName: 'dana-labs/after-rename' });

    await fx.admin.uninstall(id);
    for (const team of [account, other]) {
      const after = (await (await dana(`/accounts/${team}/installations`)).json()) as {
        installations: Array<{ id: number }>;
      };
      expect(after.installations.map((i) => i.id)).not.toContain(id);
    }
    expect((await scan(`INSTALLATION#${id}`)).map((item) => item.SK?.S)).toEqual(['TOMBSTONE']);
    expect((await repo('after-uninstall')).status).toBe(404);

    expect((await dana('/me')).status).toBe(200);
    await fx.admin.call('POST', '/authorizations/revoke', { login: 'dana' });
    expect((await dana('/me')).status).toBe(401);
    const userId = fx.emulator.world.accountByLogin('dana')?.id ?? 0;
    expect((await scan(`USER#${userId}`)).map((item) => item.SK?.S)).toEqual(['PROFILE']);

    const deliveries = await fx.admin.deliveries();
    expect(deliveries.every((delivery) => delivery.status_code !== null && delivery.status_code < 300)).toBe(
      true,
    );
  });
});
