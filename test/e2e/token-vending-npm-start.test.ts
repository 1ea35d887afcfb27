import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { revokeToken, vendToken, type SigningOptions } from '../../examples/token-vending-client.js';
import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import { LOCAL_SERVICE_ROLE_ARN, type LocalSecretsFile } from '../../local/local-secrets.js';
import { HttpBrowser } from '../support/http-browser.js';
import { NPM_START_TIMEOUT_MS, startNpmStart, stopNpmStart, type NpmStart } from '../support/npm-start.js';
import { refusalOf as refusal, signingAs, withVendedToken, writeBlob } from '../support/service-tokens.js';

/**
 * Issue #25's whole path on `npm start`: an owner of octo-org narrows team A's link to some repositories,
 * grants the local `builder` role `contents: read` on two of them, and the builder, signing with SigV4 as
 * a back-end does, gets a token that reads those two at GitHub (the emulator), cannot write, cannot read
 * a third; is refused outside its policy and outside the account's scope; and revokes it.
 */
const root = resolve(fileURLToPath(import.meta.url), '../../..');
/** The role `npm start` seeds service credentials for. */
const BUILDER = LOCAL_SERVICE_ROLE_ARN;
const ONE = 'octo-org/service-0001';
const TWO = 'octo-org/service-0002';
const THREE = 'octo-org/service-0003';

let app: NpmStart;
let dataDir: string;
let bob: HttpBrowser;
let accountId: string;
let installationId: number;
let signing: SigningOptions;
/** GitHub (the emulator) asked with the vended token, as the back-end would. */
let github: ReturnType<typeof withVendedToken>;

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** The builder's request for a token of Team A, signed as the back-end signs it. */
const vend = (repositories: string[], permissions: Record<string, 'read' | 'write'>) =>
  vendToken(app.apiUrl, { accountId, repositories, permissions }, signing);

const scope = (body: { repositories: string[] | null; patterns: string[] | null }) =>
  bob.send(`/accounts/${accountId}/installations/${installationId}`, 'PATCH', body);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'npm-start-vend-'));
  app = await startNpmStart({ dataDir });
  github = withVendedToken(app.emulatorUrl);
  const admin = new EmulatorAdmin(app.emulatorUrl);
  bob = await new HttpBrowser(app.apiUrl).signIn('octo-demo');
  accountId = (await json<{ id: string }>(await bob.send('/accounts', 'POST', { name: 'Team A' }), 201)).id;
  const world = await admin.call<{ installations: Array<{ id: number; account: string }> }>('GET', '/world');
  const org = world.installations.find((installation) => installation.account === 'octo-org');
  if (!org) throw new Error('octo-org has no installation in the seeded world');
  installationId = org.id;
  // Team A reaches web-app and the service-* repositories of octo-org, nothing else.
  await json(
    await bob.send(`/accounts/${accountId}/installations/${installationId}`, 'PUT', {
      repositories: ['web-app'],
      patterns: ['service-*'],
    }),
    201,
  );
  await json(
    await bob.send(`/accounts/${accountId}/service-access`, 'POST', {
      principal: BUILDER,
      repositories: [ONE, TWO],
      permissions: { contents: 'read' },
    }),
    201,
  );
  const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as LocalSecretsFile;
  // The credentials npm start seeded for the builder role.
  signing = signingAs(secrets.serviceCredentials, BUILDER);
}, NPM_START_TIMEOUT_MS);
afterAll(async () => {
  if (app) await stopNpmStart(app);
});

it('npm run vend finds the API and the credentials by itself and prints the scope, not the token', async () => {
  const child = spawn(
    'npm',
    [
      'run',
      '--silent',
      'vend',
      '--',
      '--account',
      accountId,
      '--repo',
      ONE,
      '--repo',
      TWO,
      '--permission',
      'contents:read',
    ],
    {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '', LOCAL_DATA_DIR: dataDir, PORT: new URL(app.apiUrl).port },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  expect({ code, output }).toMatchObject({ code: 0 });
  expect(output).toContain(`${ONE}, ${TWO}`);
  expect(output).toContain('contents:read');
  expect(output).not.toMatch(/gh[sp]_[A-Za-z0-9]/);
}, 120_000);

it('a token for two repositories with contents: read reads both at GitHub, cannot write, cannot read a third; revoked, GitHub refuses it', async () => {
  const vended = await vend([ONE, TWO], { contents: 'read' });
  expect(vended).toMatchObject({
    installationId,
    repositories: [ONE, TWO],
    permissions: { contents: 'read' },
  });
  for (const repository of [ONE, TWO])
    expect((await github(vended.token, `/repos/${repository}`)).status).toBe(200);
  expect((await github(vended.token, `/repos/${THREE}`)).status).toBe(404);
  expect((await writeBlob(github, vended.token, ONE)).status).toBe(403);

  await revokeToken(app.apiUrl, vended.token, signing);
  expect((await github(vended.token, `/repos/${ONE}`)).status).toBe(401);
});

it('is refused, naming what, outside its policy: another repository, a permission above the ceiling', async () => {
  const other = await refusal(vend([ONE, THREE], { contents: 'read' }));
  expect(other.status).toBe(403);
  expect(other.repositories).toEqual([THREE]);
  const above = await refusal(vend([ONE], { contents: 'write' }));
  expect(above.status).toBe(403);
  expect(above.permissions).toEqual({ contents: 'write' });
});

it("is refused outside the account's scope, though the policy names the repository", async () => {
  await json(await scope({ repositories: ['web-app', 'service-0001'], patterns: null }), 200);
  try {
    const outside = await refusal(vend([ONE, TWO], { contents: 'read' }));
    expect(outside.status).toBe(403);
    expect(outside.repositories).toEqual([TWO]);
    // Inside both, still granted.
    await expect(vend([ONE], { contents: 'read' })).resolves.toMatchObject({ repositories: [ONE] });
  } finally {
    await json(await scope({ repositories: ['web-app'], patterns: ['service-*'] }), 200);
  }
});
