/**
 * What ships is what is tested: the bundles `cdk synth` wrote, on Lambda's Node version, walked
 * through the main flows over HTTP (npm run test:bundles synthesizes, then runs this).
 */
import { randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import { startBundledService, type BundledService } from '../support/bundled-service.js';
import { api, signIn } from '../support/service.js';

let fx: BundledService;
const installs: Record<string, number> = {};
const appId = () => Number(fx.secrets.githubApp.appId);
type Call = ReturnType<typeof api>;

beforeAll(async () => {
  fx = await startBundledService();
  for (const login of ['bob', 'ivy']) await fx.admin.createUser({ login });
  await fx.admin.createUser({ login: 'octo-org', type: 'Organization', admins: ['bob'] });
  await fx.admin.createUser({ login: 'new-org', type: 'Organization', admins: ['bob'] });
  for (const account of ['bob', 'octo-org'])
    installs[account] = (await fx.admin.install({ appId: appId(), account })).installation.id;
});
afterAll(() => fx?.close());

async function session(login: string): Promise<Call> {
  const signedIn = await signIn(fx, login);
  expect(signedIn.status).toBe(302);
  return api(fx, signedIn);
}

async function listed(call: Call, accountId: string) {
  const response = await call(`/accounts/${accountId}/installations`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as {
    installations: Array<{ id: number; linked: boolean; account?: { login: string } }>;
  };
  return body.installations.map((i) => [i.account?.login, i.linked]).sort();
}

async function postWebhook(event: string, payload: unknown, secret = fx.secrets.githubApp.webhookSecret) {
  const body = JSON.stringify(payload);
  return fetch(`${fx.api.url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': await sign(secret, body),
      'user-agent': 'GitHub-Hookshot/test',
    },
    body,
  });
}

let team: string;

it("runs the synthesized bundles on Lambda's Node 22, with the stack's environment", async () => {
  expect(fx.nodeVersion).toMatch(/^v22\./);
  expect(fx.env).not.toHaveProperty('NODE_OPTIONS');
  expect(fx.env.POWERTOOLS_SERVICE_NAME).toBe('github-app-accounts');
  const health = await fetch(`${fx.api.url}/health`);
  expect(health.status).toBe(200);
});

it('signs in with the sign-in flow cookie and answers /me', async () => {
  const signedIn = await signIn(fx, 'bob');
  expect(signedIn.flowCookie).toMatch(/^oauth_login=./);
  expect(signedIn.status).toBe(302);
  expect(signedIn.cookie).toMatch(/^session=./);
  const me = await api(fx, signedIn)('/me');
  expect(me.status).toBe(200);
  expect(await me.json()).toMatchObject({ user: { login: 'bob' }, accounts: [] });
  // Without the flow cookie the callback is refused.
  const callback = await fetch(signedIn.callbackUrl, { redirect: 'manual' });
  expect(callback.status).toBeGreaterThanOrEqual(400);
});

it('creates an account, lists installations and links one as its owner', async () => {
  const bob = await session('bob');
  const created = await bob('/accounts', { method: 'POST', json: { name: 'Bundled team' } });
  expect(created.status).toBe(201);
  team = ((await created.json()) as { id: string }).id;
  expect(await listed(bob, team)).toEqual([
    ['bob', false],
    ['octo-org', false],
  ]);
  const linked = await bob(`/accounts/${team}/installations/${installs['octo-org']}`, { method: 'PUT' });
  expect(linked.status).toBe(201);
  expect(await listed(bob, team)).toEqual([
    ['bob', false],
    ['octo-org', true],
  ]);
});

it('creates an organisation repository with files in one commit', async () => {
  const bob = await session('bob');
  await fx.admin.clearCalls();
  const response = await bob(`/accounts/${team}/repositories`, {
    method: 'POST',
    json: {
      installationId: installs['octo-org'],
      name: 'from-the-bundle',
      files: [
        { path: 'README.md', content: '# Bundled\n' },
        { path: 'src/index.ts', content: 'export {};\n' },
      ],
    },
  });
  expect(response.status).toBe(201);
  expect(await response.json()).toMatchObject({
    fullName: 'octo-org/from-the-bundle',
    commitSha: expect.stringMatching(/^[0-9a-f]{40}$/) as string,
  });
  const calls = (await fx.admin.calls()).map((call) => `${call.method} ${call.route}`);
  expect(calls).toContain('POST /orgs/{org}/repos');
  expect(calls.filter((call) => call === 'POST /repos/{owner}/{repo}/git/commits')).toHaveLength(1);
});

it('applies signed installation webhooks (created, deleted) and refuses a bad signature', async () => {
  // Installing the App makes the emulator deliver a signed `installation.created` to the bundle.
  installs['new-org'] = (await fx.admin.install({ appId: appId(), account: 'new-org' })).installation.id;
  const bob = await session('bob');
  expect(await listed(bob, team)).toContainEqual(['new-org', false]);
  expect(
    (await bob(`/accounts/${team}/installations/${installs['new-org']}`, { method: 'PUT' })).status,
  ).toBe(201);
  // Uninstalling delivers `installation.deleted`: the link goes with it.
  await fx.admin.uninstall(installs['new-org'] ?? 0);
  expect(await listed(bob, team)).toEqual([
    ['bob', false],
    ['octo-org', true],
  ]);
  const deliveries = (await fx.admin.deliveries()).filter((d) => d.event === 'installation');
  expect(deliveries.map((d) => [d.action, d.status_code])).toEqual(
    expect.arrayContaining([
      ['created', 200],
      ['deleted', 200],
    ]),
  );
  const forged = await postWebhook(
    'installation',
    { action: 'deleted', installation: { id: installs['octo-org'] } },
    'not-the-secret',
  );
  expect(forged.status).toBe(401);
  expect(await listed(bob, team)).toContainEqual(['octo-org', true]);
});

it('round-trips an invitation: invite, see it, accept, become a member', async () => {
  const bob = await session('bob');
  const ivy = await session('ivy');
  const invited = await bob(`/accounts/${team}/members`, {
    method: 'POST',
    json: { login: 'ivy', role: 'admin' },
  });
  expect(invited.status).toBe(201);
  const invitation = (await invited.json()) as { id: string; status: string };
  expect(invitation.status).toBe('pending');
  const mine = await ivy('/me/invitations');
  expect(
    ((await mine.json()) as { invitations: Array<{ id: string }> }).invitations.map((i) => i.id),
  ).toEqual([invitation.id]);
  const accepted = await ivy(`/invitations/${invitation.id}/accept`, { method: 'POST' });
  expect(accepted.status).toBe(200);
  expect(await accepted.json()).toEqual({ id: team, name: 'Bundled team', role: 'admin' });
  const me = (await (await ivy('/me')).json()) as { accounts: Array<{ id: string; role: string }> };
  expect(me.accounts).toEqual([{ id: team, name: 'Bundled team', role: 'admin' }]);
});

it('the webhook-redelivery bundle redelivers a delivery that failed while the API was down', async () => {
  await fx.admin.createUser({ login: 'late-org', type: 'Organization', admins: ['bob'] });
  await fx.stopApi();
  const { installation } = await fx.admin.install({ appId: appId(), account: 'late-org' });
  await fx.startApi();
  const failed = (await fx.admin.deliveries()).filter(
    (d) => d.event === 'installation' && d.status_code !== 200,
  );
  expect(failed).toHaveLength(1);
  const summary = await fx.runRedelivery();
  expect(summary.redelivered).toEqual([failed[0]?.guid]);
  const attempts = (await fx.admin.deliveries()).filter((d) => d.guid === failed[0]?.guid);
  expect(attempts.map((d) => [d.redelivery, d.status_code === 200])).toContainEqual([true, true]);
  const bob = await session('bob');
  expect((await bob(`/accounts/${team}/installations/${installation.id}`, { method: 'PUT' })).status).toBe(
    201,
  );
});
