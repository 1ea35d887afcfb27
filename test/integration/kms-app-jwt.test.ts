/**
 * App JWTs signed through KMS (functions/shared/app-key/app-jwt.ts): the real client and createJwt
 * against the KMS stand-in (local/kms-endpoint.ts), the JWT checked by the GitHub emulator as GitHub
 * checks it (signature by the registered public key, iat/exp/iss) and by node:crypto.
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { request } from '@octokit/request';
import { createJwtWith, kmsSignDigest } from '../../functions/shared/app-key/app-jwt.js';
import { createKmsClient, KmsError } from '../../functions/shared/app-key/kms-client.js';
import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../local/github-emulator/server.js';
import { startLocalKms, type LocalKms } from '../../local/kms-endpoint.js';
import { generateLocalSecrets } from '../../local/local-secrets.js';

const credentials = () => Promise.resolve({ accessKeyId: 'local', secretAccessKey: 'local' });
const app = generateLocalSecrets().githubApp;
const otherPem = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
}).privateKey;

let kms: LocalKms;
let emulator: GitHubEmulator;

beforeAll(async () => {
  kms = await startLocalKms({
    keys: { 'app-key': app.privateKey, 'wrong-key': otherPem, pending: undefined },
  });
  emulator = await startGitHubEmulator();
  await new EmulatorAdmin(emulator.url).registerApp({
    id: Number(app.appId),
    slug: app.slug,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    publicKey: app.publicKey,
    webhookUrl: 'http://127.0.0.1:9/webhooks/github',
    webhookSecret: app.webhookSecret,
    callbackUrls: ['http://127.0.0.1:9/auth/callback'],
  });
});
afterAll(async () => {
  await kms?.close();
  await emulator?.close();
});

const client = () => createKmsClient({ region: kms.region, endpoint: kms.url, credentials });
const signsBefore = () => kms.calls.filter((action) => action === 'Sign').length;
const parts = (jwt: string) => {
  const [header = '', payload = '', signature = ''] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, number | string>,
    signed: Buffer.from(`${header}.${payload}`),
    signature: Buffer.from(signature, 'base64url'),
  };
};

it('signs an RS256 App JWT through KMS Sign that verifies with the PEM’s public key', async () => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  const createJwt = createJwtWith(kmsSignDigest(client(), 'app-key'), () => now);
  const before = signsBefore();
  const { jwt, expiresAt } = await createJwt(app.appId);
  expect(signsBefore() - before).toBe(1);

  const { header, payload, signed, signature } = parts(jwt);
  expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
  const seconds = now / 1000;
  expect(payload).toEqual({ iat: seconds - 60, exp: seconds - 60 + 600, iss: app.appId });
  expect(expiresAt).toBe(new Date((seconds + 540) * 1000).toISOString());
  expect(verify('RSA-SHA256', signed, createPublicKey(app.publicKey), signature)).toBe(true);
  expect(verify('RSA-SHA256', signed, createPublicKey(otherPem), signature)).toBe(false);
});

it('keeps a JWT while it has more than 5 minutes to live, then signs a new one', async () => {
  let now = Date.parse('2026-12-07T12:00:00Z');
  const createJwt = createJwtWith(kmsSignDigest(client(), 'app-key'), () => now);
  const before = signsBefore();
  const first = await createJwt(app.appId);
  now += 200_000; // 540 - 200 = 340 s left
  expect((await createJwt(app.appId)).jwt).toBe(first.jwt);
  // auth-app's retry after GitHub said the clock is off: another JWT.
  expect((await createJwt(app.appId, 30)).jwt).not.toBe(first.jwt);
  now += 60_000; // 280 s left
  expect((await createJwt(app.appId)).jwt).not.toBe(first.jwt);
  expect(signsBefore() - before).toBe(3);
});

it('the GitHub emulator takes the App JWT auth-app gets from KMS (GET /app)', async () => {
  const auth = createAppAuth({
    appId: app.appId,
    createJwt: createJwtWith(kmsSignDigest(client(), 'app-key')),
    request: request.defaults({ baseUrl: emulator.url }),
  });
  const asApp = await auth({ type: 'app' });
  const answer = await fetch(`${emulator.url}/app`, {
    headers: { authorization: `Bearer ${asApp.token}`, accept: 'application/vnd.github+json' },
  });
  expect(answer.status).toBe(200);
  expect(((await answer.json()) as { slug: string }).slug).toBe(app.slug);
});

it('a JWT signed by another KMS key is refused by the emulator (401)', async () => {
  const createJwt = createJwtWith(kmsSignDigest(client(), 'wrong-key'));
  const { jwt } = await createJwt(app.appId);
  const answer = await fetch(`${emulator.url}/app`, {
    headers: { authorization: `Bearer ${jwt}`, accept: 'application/vnd.github+json' },
  });
  expect(answer.status).toBe(401);
});

it('KMS refusals surface as KmsError naming the error type (no retry of a client error)', async () => {
  const before = kms.calls.length;
  const sign = kmsSignDigest(client(), 'pending');
  await expect(sign(Buffer.alloc(32))).rejects.toThrow(KmsError);
  await expect(sign(Buffer.alloc(32))).rejects.toThrow(/KMSInvalidStateException/);
  await expect(kmsSignDigest(client(), 'no-such-key')(Buffer.alloc(32))).rejects.toThrow(/NotFoundException/);
  expect(kms.calls.length - before).toBe(3);
});
