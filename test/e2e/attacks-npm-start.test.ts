import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS_SETTINGS } from '../../local/dynamodb-local.js';
import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import type { LocalSecretsFile } from '../../local/local-secrets.js';
import { startNpmStart, stopNpmStart, type NpmStart } from '../support/npm-start.js';

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
  dynamo = new DynamoDBClient({ ...LOCAL_AWS_SETTINGS, endpoint: app.dynamoEndpoint });
  secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as LocalSecretsFile;
  const world = await admin.call<{ installations: Array<{ id: number; account: string }> }>('GET', '/world');
  for (const installation of world.installations) installs[installation.account] = installation.id;
}, 90_000);
afterAll(async () => {
  dynamo.destroy();
  await stopNpmStart(app);
});

/** A browser: keeps the cookies the API sets and sends them back to it. */
class Browser {
  readonly cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (url.startsWith(app.apiUrl) && this.cookies.size > 0)
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    if (url.startsWith(app.apiUrl)) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const index = pair.indexOf('=');
        const [name, value] = [pair.slice(0, index), pair.slice(index + 1)];
        if (/Max-Age=0/.test(line)) this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
    }
    return response;
  }

  /** A state-changing call from the frontend page (cookie + Origin). */
  send(path: string, method: string, json?: unknown, origin = FRONTEND) {
    return this.fetch(`${app.apiUrl}${path}`, {
      method,
      headers: { origin, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
  }
}

/** GitHub's half of sign-in: approve as `login` and return the callback URL, unopened. */
async function approve(browser: Browser, login: string): Promise<string> {
  const start = await browser.fetch(`${app.apiUrl}/auth/login`);
  const authorize = new URL(start.headers.get('location') ?? '');
  authorize.searchParams.set('login', login);
  const approved = await fetch(authorize, { redirect: 'manual' });
  return approved.headers.get('location') ?? '';
}

async function signIn(login: string): Promise<Browser> {
  const browser = new Browser();
  const done = await browser.fetch(await approve(browser, login));
  expect(done.status).toBe(302);
  expect(browser.cookies.has('session')).toBe(true);
  return browser;
}

async function whoAmI(browser: Browser): Promise<string> {
  const me = await browser.fetch(`${app.apiUrl}/me`);
  return ((await me.json()) as { user: { login: string } }).user.login;
}

async function newAccount(browser: Browser, name: string): Promise<string> {
  const response = await browser.send('/accounts', 'POST', { name });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

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
  return keys.sort();
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
    const { Items: [meta] = [] } = await dynamo.send(
      new ScanCommand({
        TableName: 'github-app-accounts',
        FilterExpression: 'PK = :pk AND SK = :sk',
        ExpressionAttributeValues: {
          ':pk': { S: `INSTALLATION#${installs['octo-org']}` },
          ':sk': { S: 'META' },
        },
      }),
    );
    const back = await teammate.fetch(
      `${app.apiUrl}/auth/callback?installation_id=${installs['octo-org']}&setup_action=update`,
    );
    expect(new URL(back.headers.get('location') ?? '').searchParams.get('install_error')).toBe(
      'org_owner_required',
    );
    expect(await items()).toEqual(before);
    const { Items: [after] = [] } = await dynamo.send(
      new ScanCommand({
        TableName: 'github-app-accounts',
        FilterExpression: 'PK = :pk AND SK = :sk',
        ExpressionAttributeValues: {
          ':pk': { S: `INSTALLATION#${installs['octo-org']}` },
          ':sk': { S: 'META' },
        },
      }),
    );
    expect(after).toEqual(meta);
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
