/**
 * The GitHub emulator: webhook deliveries, redeliveries and the install page (run by
 * test/integration/github-emulator.test.ts).
 */
import { verify } from '@octokit/webhooks-methods';
import { appAuth, failure, fx, request } from '../../support/emulator-suite.js';

describe('webhooks', () => {
  it('delivers signed installation events with GitHub’s headers, and redelivers with the same GUID', async () => {
    await fx.admin.createUser({ login: 'hooked-org', type: 'Organization', members: ['octo-demo'] });
    const before = fx.receiver.hooks.length;
    const { installation } = await fx.admin.install({ appId: fx.app.id, account: 'hooked-org' });
    await fx.admin.suspend(installation.id);
    await fx.admin.unsuspend(installation.id);
    await fx.admin.uninstall(installation.id);
    const hooks = fx.receiver.hooks.slice(before);
    expect(hooks.map((hook) => (JSON.parse(hook.body) as { action: string }).action)).toEqual([
      'created',
      'suspend',
      'unsuspend',
      'deleted',
    ]);
    for (const hook of hooks) {
      expect(hook.headers).toMatchObject({
        'x-github-event': 'installation',
        'x-github-hook-installation-target-type': 'integration',
        'x-github-hook-installation-target-id': String(fx.app.id),
        'user-agent': expect.stringMatching(/^GitHub-Hookshot\//) as string,
        'content-type': 'application/json',
      });
      await expect(
        verify(fx.app.webhookSecret, hook.body, String(hook.headers['x-hub-signature-256'])),
      ).resolves.toBe(true);
    }
    const created = JSON.parse(hooks[0]?.body ?? '{}') as Record<string, unknown>;
    expect(created).toMatchObject({
      installation: { id: installation.id, account: { login: 'hooked-org' } },
      sender: { login: 'octo-demo' },
    });

    const guid = String(hooks[0]?.headers['x-github-delivery']);
    fx.receiver.setStatus(500);
    await fx.admin.redeliver(guid);
    fx.receiver.setStatus(200);
    const again = fx.receiver.hooks.at(-1);
    expect(again?.headers['x-github-delivery']).toBe(guid);
    expect(again?.body).toBe(hooks[0]?.body);
    const deliveries = (await fx.admin.deliveries()).filter((d) => d.guid === guid);
    expect(deliveries.map((d) => [d.redelivery, d.status_code])).toEqual([
      [false, 200],
      [true, 500],
    ]);
  });

  it('lists the App’s deliveries newest first by cursor, and redelivers one through the REST API', async () => {
    const { token } = await appAuth()({ type: 'app' });
    const headers = { authorization: `bearer ${token}` };
    await fx.admin.createUser({ login: 'paged-org', type: 'Organization' });
    fx.receiver.setStatus(503);
    const { installation } = await fx.admin.install({ appId: fx.app.id, account: 'paged-org' });
    fx.receiver.setStatus(200);
    await fx.admin.suspend(installation.id);
    await fx.admin.unsuspend(installation.id);

    const all = (await request('GET /app/hook/deliveries', { headers, per_page: 100 })).data;
    const ids = all.map((delivery) => Number(delivery.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const [unsuspend, suspend, created] = all;
    expect([unsuspend?.action, suspend?.action, created?.action]).toEqual([
      'unsuspend',
      'suspend',
      'created',
    ]);
    expect(created).toMatchObject({
      status: 'Invalid HTTP Response: 503',
      status_code: 503,
      redelivery: false,
      event: 'installation',
      installation_id: installation.id,
    });
    expect(suspend).toMatchObject({ status: 'OK', status_code: 200 });

    // Two at a time: the Link header's next URL carries the cursor of the next, older page.
    const first = await request('GET /app/hook/deliveries', { headers, per_page: 2 });
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.link ?? '')?.[1] ?? '';
    const cursor = new URL(next).searchParams.get('cursor') ?? '';
    expect(cursor).toMatch(/^v1_\d+$/);
    const second = await request('GET /app/hook/deliveries', { headers, per_page: 2, cursor });
    expect([...first.data, ...second.data].map((delivery) => delivery.id)).toEqual(
      all.slice(0, 4).map((delivery) => delivery.id),
    );
    const failed = await request('GET /app/hook/deliveries', { headers, per_page: 100, status: 'failure' });
    expect(failed.data.every((delivery) => delivery.status_code >= 400)).toBe(true);
    expect(failed.data.map((delivery) => delivery.id)).toContain(created?.id);

    const before = fx.receiver.hooks.length;
    const accepted = await request('POST /app/hook/deliveries/{delivery_id}/attempts', {
      headers,
      delivery_id: Number(created?.id ?? 0),
    });
    expect(accepted.status).toBe(202);
    expect(fx.receiver.hooks.slice(before).map((hook) => hook.headers['x-github-delivery'])).toEqual([
      created?.guid,
    ]);
    const [latest] = (await request('GET /app/hook/deliveries', { headers, per_page: 1 })).data;
    expect(latest).toMatchObject({ guid: created?.guid, redelivery: true, status: 'OK', status_code: 200 });

    expect(
      (
        await failure(
          request('POST /app/hook/deliveries/{delivery_id}/attempts', { headers, delivery_id: 999_999_999 }),
        )
      ).status,
    ).toBe(404);
    expect((await failure(request('GET /app/hook/deliveries', { per_page: 1 }))).status).toBe(401);
  });

  it('installs from the install page and sends the user back with installation_id and setup_action', async () => {
    await fx.admin.createUser({ login: 'fresh-org', type: 'Organization', members: ['octo-demo'] });
    const response = await fetch(
      `${fx.emulator.url}/apps/platform-app/installations/new?state=st&login=octo-demo&target=fresh-org`,
      { redirect: 'manual' },
    );
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.pathname).toBe('/auth/callback');
    expect(location.searchParams.get('setup_action')).toBe('install');
    expect(location.searchParams.get('state')).toBe('st');
    expect(location.searchParams.get('code')).toBeTruthy();
    const id = Number(location.searchParams.get('installation_id'));
    expect(fx.emulator.world.installations.get(id)?.accountId).toBe(
      fx.emulator.world.accountByLogin('fresh-org')?.id,
    );

    const again = await fetch(
      `${fx.emulator.url}/apps/platform-app/installations/new?login=octo-demo&target=fresh-org`,
      { redirect: 'manual' },
    );
    expect(new URL(again.headers.get('location') ?? '').searchParams.get('setup_action')).toBe('update');
    const page = await fetch(`${fx.emulator.url}/apps/platform-app/installations/new?login=octo-demo`);
    expect(await page.text()).toContain('fresh-org');
  });
});
