import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS_SETTINGS } from '../../local/dynamodb-local.js';
import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import type { LocalSecretsFile } from '../../local/local-secrets.js';
import { HttpBrowser } from '../support/http-browser.js';
import { NPM_START_TIMEOUT_MS, startNpmStart, stopNpmStart, type NpmStart } from '../support/npm-start.js';

/**
 * Issue #10's attacks replayed the way the attacker did: against `npm start`, over HTTP only (the
 * emulator's control API plays GitHub's side; the table is only read). Each must fail safely: a 4xx
 * `{ error, message }` and nothing written.
 */
const FRONTEND = 'http://localhost:5173';
const dataDir = mkdtempSync(join(tmpdir(), 'attacks-'));
let app: NpmStart;
let admin: EmulatorAdmin;
let dynamo: DynamoDBClient;
let secrets: LocalSecretsFile;
const installs: Record<string, number> = {};

beforeAll(async () => {
  app = await startNpmStart({ dataDir });
  admin = new EmulatorAdmin(app.emulatorUrl);
  await admin.createUser({ login: 'mallory' });
  dynamo = new DynamoDBClient({ ...LOCAL_AWS_SETTINGS, endpoint: app.dynamoEndpoint });
  secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as LocalSecretsFile;
  const world = await admin.call<{ installations: Array<{ id: number; account: string }> }>('GET', '/world');
  for (const installation of world.installations) installs[installation.account] = installation.id;
}, NPM_START_TIMEOUT_MS);
afterAll(async () => {
  dynamo?.destroy();
  if (app) await stopNpmStart(app);
});

class Browser extends HttpBrowser {
  constructor() {
    super(() => app.apiUrl, FRONTEND);
  }
}

const approve = (browser: Browser, login: string) => browser.approve(login);
const signIn = (login: string) => new Browser().signIn(login);

async function whoAmI(browser: Browser): Promise<string> {
  const me = await browser.fetch(`${app.apiUrl}/me`);
  return ((await me.json()) as { user: { login: string } }).user.login;
}

async function newAccount(browser: Browser, name: string): Promise<string> {
  const response = await browser.send('/accounts', 'POST', { name });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/**
 * Every item's key but the repository index's and the reconciler's (`REPOS#`, `REPOSYNC#`): npm start
 * syncs the seeded installations in the background, writes no request under test causes.
 */
async function items(): Promise<string[]> {
  const keys: string[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({ TableName: 'github-app-accounts', ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) keys.push(`${item.PK?.S}|${item.SK?.S}`);
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  // The index and the activity log are written in the background (the reconciler; the stream's
  // consumer, from EVENT# items, which are compared): not what a request wrote.
  return keys.filter((key) => !/^(REPOS(YNC)?|ACTIVITY)#/.test(key)).sort();
}

async function installationItem(id: number) {
  const { Item } = await dynamo.send(
    new GetItemCommand({
      TableName: 'github-app-accounts',
      Key: { PK: { S: `INSTALLATION#${id}` }, SK: { S: 'META' } },
    }),
  );
  return Item;
}

async function expectError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: string; message: string };
  expect(body).toMatchObject({ error, message: expect.any(String) as string });
}

describe('login CSRF', () => {
  it("opening an attacker's unopened callback URL leaves the victim signed in as themselves", async () => {
    const attacker = new Browser();
    const trap = await approve(attacker, 'octo-teammate');
    const victim = await signIn('octo-demo');
    await expectError(await victim.fetch(trap), 400, 'state_mismatch');
    expect(await whoAmI(victim)).toBe('octo-demo');
  });

  it('unauthenticated sign-ins and listings write nothing (200 each)', async () => {
    const demo = await signIn('octo-demo');
    const accountId = await newAccount(demo, 'Listing');
    const before = await items();
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          expect((await fetch(`${app.apiUrl}/auth/login`, { redirect: 'manual' })).status).toBe(302);
          expect((await demo.fetch(`${app.apiUrl}/accounts/${accountId}/installations`)).status).toBe(200);
        }),
      );
    }
    expect(await items()).toEqual(before);
  });

  it('refuses Origin: null on cookie-authenticated changes', async () => {
    const demo = await signIn('octo-demo');
    await expectError(await demo.send('/accounts', 'POST', { name: 'x' }, 'null'), 403, 'csrf_rejected');
  });
});

describe('the App’s power only for those GitHub trusts with it', () => {
  it("a plain org member cannot link the org's installation; its owner can", async () => {
    const teammate = await signIn('octo-teammate');
    const theirs = await newAccount(teammate, 'Teammate');
    const before = await items();
    await expectError(
      await teammate.send(`/accounts/${theirs}/installations/${installs['octo-org']}`, 'PUT'),
      403,
      'org_owner_required',
    );
    expect(await items()).toEqual(before);
    const demo = await signIn('octo-demo');
    const ours = await newAccount(demo, 'Owners');
    expect((await demo.send(`/accounts/${ours}/installations/${installs['octo-org']}`, 'PUT')).status).toBe(
      201,
    );
  });

  it('setup_action=update from someone who may not link the installation rewrites nothing', async () => {
    const teammate = await signIn('octo-teammate');
    const before = await items();
    const meta = await installationItem(installs['octo-org'] ?? 0);
    const back = await teammate.fetch(
      `${app.apiUrl}/auth/callback?installation_id=${installs['octo-org']}&setup_action=update`,
    );
    expect(new URL(back.headers.get('location') ?? '').searchParams.get('install_error')).toBe(
      'org_owner_required',
    );
    expect(await items()).toEqual(before);
    expect(await installationItem(installs['octo-org'] ?? 0)).toEqual(meta);
  });

  it('after a signed installation.deleted, re-linking answers 404 installation_deleted', async () => {
    await admin.createUser({ login: 'gone-org', type: 'Organization', admins: ['octo-demo'] });
    const { installation } = await admin.install({
      appId: Number(secrets.githubApp.appId),
      account: 'gone-org',
    });
    const demo = await signIn('octo-demo');
    const accountId = await newAccount(demo, 'Gone');
    expect((await demo.send(`/accounts/${accountId}/installations/${installation.id}`, 'PUT')).status).toBe(
      201,
    );
    await admin.uninstall(installation.id); // GitHub sends the signed installation.deleted
    const before = await items();
    await expectError(
      await demo.send(`/accounts/${accountId}/installations/${installation.id}`, 'PUT'),
      404,
      'installation_deleted',
    );
    expect(await items()).toEqual(before);
  });
});

/** A GitHub user token of `login`, straight from the emulator's OAuth flow (someone working on GitHub). */
async function gitHubUserToken(login: string): Promise<string> {
  const authorize = new URL('/login/oauth/authorize', app.emulatorUrl);
  authorize.search = new URLSearchParams({
    client_id: secrets.githubApp.clientId,
    login,
    state: 's',
  }).toString();
  const redirected = await fetch(authorize, { redirect: 'manual' });
  const code = new URL(redirected.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const exchanged = await fetch(`${app.emulatorUrl}/login/oauth/access_token`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: secrets.githubApp.clientId,
      client_secret: secrets.githubApp.clientSecret,
      code,
    }),
  });
  return ((await exchanged.json()) as { access_token: string }).access_token;
}

async function github<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${app.emulatorUrl}${path}`, {
    method,
    headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}`);
  return (await response.json()) as T;
}

const repositories = async () =>
  (await admin.call<{ repositories: string[] }>('GET', '/world')).repositories.sort();

describe('accounts joined by consent, members by GitHub identity', () => {
  let accountId = '';

  it('an invitation makes nobody a member until they accept; only the invitee can accept', async () => {
    const demo = await signIn('octo-demo');
    accountId = await newAccount(demo, 'Consent');
    const invited = await demo.send(`/accounts/${accountId}/members`, 'POST', {
      login: 'octo-teammate',
      role: 'member',
    });
    expect(invited.status).toBe(201);
    const invitation = (await invited.json()) as { id: string };
    const members = async () =>
      (
        (await (await demo.fetch(`${app.apiUrl}/accounts/${accountId}`)).json()) as {
          members: Array<{ login: string }>;
        }
      ).members.map((member) => member.login);
    expect(await members()).toEqual(['octo-demo']);
    const mallory = await signIn('mallory');
    await expectError(
      await mallory.send(`/invitations/${invitation.id}/accept`, 'POST'),
      404,
      'invitation_not_found',
    );
    const teammate = await signIn('octo-teammate');
    expect((await teammate.send(`/invitations/${invitation.id}/accept`, 'POST')).status).toBe(200);
    expect((await members()).sort()).toEqual(['octo-demo', 'octo-teammate']);
  });

  it('an unknown login says nothing about who uses the platform', async () => {
    const demo = await signIn('octo-demo');
    const before = await items();
    const unknown = await demo.send(`/accounts/${accountId}/members`, 'POST', {
      login: 'nobody-here',
      role: 'member',
    });
    await expectError(unknown.clone(), 404, 'github_user_not_found');
    expect(((await unknown.json()) as { message: string }).message).not.toMatch(/platform|signed in/i);
    expect(await items()).toEqual(before);
  });

  it('a login taken over after a rename invites the person who holds it now', async () => {
    await admin.createUser({ login: 'sam' });
    const oldSam = await signIn('sam'); // the platform has seen the first sam
    await admin.renameUser('sam', 'sam-old');
    const newSam = await admin.createUser({ login: 'sam' });
    const demo = await signIn('octo-demo');
    const invited = await demo.send(`/accounts/${accountId}/members`, 'POST', {
      login: 'sam',
      role: 'member',
    });
    expect(((await invited.json()) as { userId: number }).userId).toBe(newSam.id);
    const pending = async (browser: Browser) =>
      ((await (await browser.fetch(`${app.apiUrl}/me/invitations`)).json()) as { invitations: unknown[] })
        .invitations.length;
    expect(await pending(oldSam)).toBe(0);
    expect(await pending(await signIn('sam'))).toBe(1);
  });

  it('refuses names with control, bidi, zero-width or private-use characters', async () => {
    const demo = await signIn('octo-demo');
    const before = await items();
    for (const name of [
      'a\u0000b',
      'esc\u001b[31m',
      'evil\u202Etxt.exe',
      'zero\u200Bwidth',
      'private\uE000',
      '   ',
    ])
      await expectError(await demo.send('/accounts', 'POST', { name }), 400, 'invalid_name');
    expect(await items()).toEqual(before);
  });
});

describe('repositories: the App’s power only as the account’s roles allow', () => {
  let accountId = '';
  let member: Browser;
  let owner: Browser;
  const create = (browser: Browser, body: Record<string, unknown>) =>
    browser.send(`/accounts/${accountId}/repositories`, 'POST', {
      installationId: installs['octo-org'],
      ...body,
    });

  beforeAll(async () => {
    owner = await signIn('octo-demo');
    accountId = await newAccount(owner, 'Repos');
    expect(
      (await owner.send(`/accounts/${accountId}/installations/${installs['octo-org']}`, 'PUT')).status,
    ).toBe(201);
    const invited = await owner.send(`/accounts/${accountId}/members`, 'POST', {
      login: 'octo-teammate',
      role: 'member',
    });
    member = await signIn('octo-teammate');
    const { id } = (await invited.json()) as { id: string };
    expect((await member.send(`/invitations/${id}/accept`, 'POST')).status).toBe(200);
  });

  it('a member creates no public repository and none of GitHub’s special ones; an owner can', async () => {
    const before = await repositories();
    for (const body of [
      { name: 'shown-to-all', private: false },
      { name: '.github' },
      { name: '.GitHub-Private' },
      { name: 'octo-org.github.io' },
    ])
      await expectError(await create(member, body), 403, 'insufficient_role');
    expect(await repositories()).toEqual(before);
    expect((await create(member, { name: 'private-by-default' })).status).toBe(201);
    expect((await create(owner, { name: 'shown-by-owner', private: false })).status).toBe(201);
  });

  it('a member without push access on GitHub commits nowhere: not main of web-app, not .github (issue 22)', async () => {
    const commit = (browser: Browser, repo: string, branch: string, path: string) =>
      browser.send(`/accounts/${accountId}/repositories/octo-org/${repo}/commits`, 'POST', {
        branch,
        message: 'Deface\n\nCo-authored-by: octo-teammate <2+octo-teammate@users.noreply.github.com>',
        files: [{ path, content: 'defaced\n', encoding: 'utf-8' }],
      });
    expect(
      (
        await create(owner, {
          name: '.github',
          files: [{ path: 'profile/README.md', content: '# octo-org\n' }],
        })
      ).status,
    ).toBe(201);
    const before = await repositories();
    await expectError(
      await commit(member, 'web-app', 'main', 'README.md'),
      403,
      'github_push_access_required',
    );
    await expectError(
      await commit(member, '.github', 'main', 'profile/README.md'),
      403,
      'github_push_access_required',
    );
    expect(await repositories()).toEqual(before);
    // The owner (push on GitHub) commits; the trailer naming someone else is removed and listed.
    const committed = await commit(owner, 'web-app', 'feature/probe', 'probe.txt');
    expect(committed.status).toBe(201);
    expect(((await committed.json()) as { removedTrailers: string[] }).removedTrailers).toEqual([
      'Co-authored-by: octo-teammate <2+octo-teammate@users.noreply.github.com>',
    ]);
    await expectError(await owner.fetch(`${app.apiUrl}/accounts/%ZZ`), 400, 'invalid_path');
  });

  it('refuses paths Git itself would refuse', async () => {
    const before = await repositories();
    for (const path of [
      '.git./hooks/x',
      '.git /config',
      'git~1/config',
      '.g\u200Cit/config',
      '/abs',
      'a/../b',
    ])
      await expectError(
        await create(owner, { name: 'paths', files: [{ path, content: 'x' }] }),
        400,
        'invalid_path',
      );
    expect(await repositories()).toEqual(before);
  });

  it('a retry after someone pushed to main answers 409 and leaves their work in place', async () => {
    const body = { name: 'retry-me', files: [{ path: 'README.md', content: '# Ours\n' }] };
    await admin.fault({ route: '/repos/{owner}/{repo}/git/trees', status: 500, count: 1 });
    expect((await create(owner, body)).status).toBe(502); // created, files not committed
    // Someone works on GitHub meanwhile: a commit on top of the placeholder.
    const token = await gitHubUserToken('octo-demo');
    const repo = '/repos/octo-org/retry-me';
    const head = await github<{ object: { sha: string } }>(token, 'GET', `${repo}/git/ref/heads/main`);
    const tree = await github<{ sha: string }>(token, 'POST', `${repo}/git/trees`, {
      tree: [{ path: 'theirs.txt', mode: '100644', type: 'blob', content: 'their work\n' }],
    });
    const theirs = await github<{ sha: string }>(token, 'POST', `${repo}/git/commits`, {
      message: 'Their work',
      tree: tree.sha,
      parents: [head.object.sha],
    });
    await github(token, 'PATCH', `${repo}/git/refs/heads/main`, { sha: theirs.sha });
    // The same request again, four times at once: none commits over or on top of their work.
    const answers = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const retried = await create(owner, body);
        return [retried.status, ((await retried.json()) as { error: string }).error] as const;
      }),
    );
    for (const [status, error] of answers) {
      expect(status).toBe(409);
      expect(['repository_changed', 'creation_in_progress']).toContain(error);
    }
    expect(answers.map(([, error]) => error)).toContain('repository_changed');
    const after = await github<{ object: { sha: string } }>(token, 'GET', `${repo}/git/ref/heads/main`);
    expect(after.object.sha).toBe(theirs.sha);
  });
});

describe('webhooks', () => {
  it('a validly signed but malformed payload is 400 invalid_payload and changes nothing but its record', async () => {
    const { createHmac } = await import('node:crypto');
    const before = await items();
    const payloads = [
      { action: 'created', installation: { id: 424242 } },
      { action: 'deleted', installation: { id: 'not-a-number', account: { id: 1, login: 'x' } } },
      { action: 'suspend', installation: null },
    ];
    for (const [index, payload] of payloads.entries()) {
      const body = Buffer.from(JSON.stringify(payload));
      const response = await fetch(`${app.apiUrl}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'installation',
          'x-github-delivery': `malformed-${index}`,
          'x-hub-signature-256': `sha256=${createHmac('sha256', secrets.githubApp.webhookSecret).update(body).digest('hex')}`,
        },
        body,
      });
      await expectError(response, 400, 'invalid_payload');
    }
    expect((await items()).filter((key) => !before.includes(key))).toEqual(
      payloads.map((_, index) => `DELIVERY#malformed-${index}|DELIVERY`),
    );
  });
});

function withoutLocalSecretsFile(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { LOCAL_SECRETS_FILE: _ignored, ...rest } = env;
  return rest;
}

describe('key rotation', () => {
  it(
    'after npm run rotate-keys and a restart, old sessions still work and new ones carry the new key',
    async () => {
      const { spawnSync } = await import('node:child_process');
      const demo = await signIn('octo-demo');
      const rotated = spawnSync('npm', ['run', '--silent', 'rotate-keys'], {
        cwd: join(fileURLToPath(import.meta.url), '../../..'),
        env: { ...withoutLocalSecretsFile(process.env), NODE_OPTIONS: '', LOCAL_DATA_DIR: dataDir },
        encoding: 'utf8',
      });
      expect(rotated.status).toBe(0);
      const keyId = (
        JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as {
          serviceKeys: { current: { keyId: string } };
        }
      ).serviceKeys.current.keyId;
      expect(await stopNpmStart(app)).toBe(0);
      app = await startNpmStart({ dataDir });
      admin = new EmulatorAdmin(app.emulatorUrl);
      dynamo.destroy();
      dynamo = new DynamoDBClient({ ...LOCAL_AWS_SETTINGS, endpoint: app.dynamoEndpoint });
      expect(await whoAmI(demo)).toBe('octo-demo');
      await signIn('octo-teammate');
      expect((await items()).some((key) => key.startsWith(`SESSION#${keyId}.`))).toBe(true);
    },
    NPM_START_TIMEOUT_MS,
  );
});
