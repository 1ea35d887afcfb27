import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import { startLocalKms, type LocalKms } from '../../local/kms-endpoint.js';
import { generateLocalSecrets } from '../../local/local-secrets.js';
import { HttpBrowser } from '../support/http-browser.js';
import { NPM_START_TIMEOUT_MS, startNpmStart, stopNpmStart, type NpmStart } from '../support/npm-start.js';

/**
 * `npm start` with APP_KEY_SIGNING=kms and KMS_ENDPOINT (docs/security.md "The App's private key in
 * KMS"): every App JWT comes from KMS Sign at the endpoint (the stand-in, local/kms-endpoint.ts, holding
 * the App's key), none from the PEM, which the handlers never see; the emulator verifies each JWT
 * against the App's public key. Sign-in, linking and the installation tokens behind a repository read
 * work as with the PEM.
 */
let app: NpmStart;
let kms: LocalKms;
const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-kms-'));
const secrets = generateLocalSecrets();

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

beforeAll(async () => {
  // npm start's own secrets file, made first so the KMS stand-in holds the same App key.
  writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify(secrets), { mode: 0o600 });
  kms = await startLocalKms({ keys: { 'app-key': secrets.githubApp.privateKey } });
  app = await startNpmStart({
    dataDir,
    env: {
      APP_KEY_SIGNING: 'kms',
      KMS_ENDPOINT: kms.url,
      APP_KEY_ID: kms.arnOf('app-key'),
      REDELIVERY_INTERVAL_SECONDS: '0',
      REPOSITORY_SYNC_INTERVAL_SECONDS: '0',
    },
  });
}, NPM_START_TIMEOUT_MS);
afterAll(async () => {
  if (app) await stopNpmStart(app);
  await kms?.close();
});

it('signs every App JWT through KMS: sign-in, link and an installation token work end to end', async () => {
  expect(app.output()).toContain(`App key        KMS Sign at ${kms.url} (key ${kms.arnOf('app-key')})`);
  const admin = new EmulatorAdmin(app.emulatorUrl);

  const bob = await new HttpBrowser(app.apiUrl).signIn('octo-demo');
  const account = (await json<{ id: string }>(await bob.send('/accounts', 'POST', { name: 'KMS team' }), 201))
    .id;
  const world = await admin.call<{ installations: Array<{ id: number; account: string }> }>('GET', '/world');
  const org = world.installations.find((installation) => installation.account === 'octo-org')?.id;
  await admin.clearCalls();
  await json(await bob.send(`/accounts/${account}/installations/${org}`, 'PUT'), 201);
  const read = await bob.fetch(`${app.apiUrl}/accounts/${account}/repositories/octo-org/web-app/tree`);
  expect(read.status).toBe(200);

  const calls = await admin.calls();
  const asApp = calls.filter((call) => call.credential === 'app_jwt');
  // The link checked the installation as the App, and tokens were minted for the reads: all accepted.
  expect(asApp.length).toBeGreaterThanOrEqual(1);
  expect(asApp.filter((call) => call.status === 401)).toEqual([]);
  expect(calls.some((call) => call.credential === 'installation_token' && call.status === 200)).toBe(true);
  // The JWTs came from KMS (a container keeps one for a few minutes, so at least one Sign).
  expect(kms.calls.filter((action) => action === 'Sign').length).toBeGreaterThanOrEqual(1);
  // No KMS call was refused (a refused Sign would leave the service without a JWT).
  expect(app.output()).not.toMatch(/KmsError|AccessDenied/);
}, 120_000);
