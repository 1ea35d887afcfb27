/**
 * `npm run import-app-key` against the KMS stand-in (local/kms-endpoint.ts): the PEM is wrapped as KMS
 * wants it (RSA_AES_KEY_WRAP_SHA_256), imported into a key awaiting import, and the key then signs
 * App JWTs that verify with the PEM's public key.
 */
import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createJwtWith, kmsSignDigest } from '../../functions/shared/app-key/app-jwt.js';
import { createKmsClient } from '../../functions/shared/app-key/kms-client.js';
import { startLocalKms, type LocalKms } from '../../local/kms-endpoint.js';
import { importAppKey, moveAppKeyFromSecret } from '../../scripts/import-app-key.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const credentials = () => Promise.resolve({ accessKeyId: 'local', secretAccessKey: 'local' });
const newPem = (type: 'pkcs1' | 'pkcs8' = 'pkcs1', modulusLength = 2048) =>
  generateKeyPairSync('rsa', {
    modulusLength,
    privateKeyEncoding: { type, format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });

let kms: LocalKms;
beforeAll(async () => {
  kms = await startLocalKms({
    keys: { first: undefined, second: undefined, cli: undefined, moved: undefined },
  });
});
afterAll(() => kms?.close());

const client = () => createKmsClient({ region: kms.region, endpoint: kms.url, credentials });

async function jwtVerifies(keyId: string, publicKey: string): Promise<boolean> {
  const { jwt } = await createJwtWith(kmsSignDigest(client(), keyId))('1');
  const [header = '', payload = '', signature = ''] = jwt.split('.');
  return verify(
    'RSA-SHA256',
    Buffer.from(`${header}.${payload}`),
    createPublicKey(publicKey),
    Buffer.from(signature, 'base64url'),
  );
}

it('imports GitHub’s PKCS#1 PEM; the key then signs JWTs the PEM’s public key verifies', async () => {
  const app = newPem();
  // Awaiting import, the key cannot sign.
  await expect(jwtVerifies('first', app.publicKey)).rejects.toThrow(/KMSInvalidStateException/);
  const before = kms.calls.length;
  const summary = await importAppKey({ kms: client(), keyId: 'first', pem: app.privateKey });
  expect(kms.calls.slice(before)).toEqual([
    'DescribeKey',
    'GetParametersForImport',
    'ImportKeyMaterial',
    'GetPublicKey',
  ]);
  expect(summary).toMatchObject({ keyArn: kms.arnOf('first'), verified: true });
  expect(summary.publicKeySha256).toMatch(/^[0-9a-f]{64}$/);
  expect(await jwtVerifies('first', app.publicKey)).toBe(true);
  expect(await jwtVerifies('first', newPem().publicKey)).toBe(false);
  // The same material again is accepted (KMS allows re-importing it); other material is refused.
  await expect(importAppKey({ kms: client(), keyId: 'first', pem: app.privateKey })).resolves.toMatchObject({
    verified: true,
  });
  await expect(importAppKey({ kms: client(), keyId: 'first', pem: newPem().privateKey })).rejects.toThrow(
    /IncorrectKeyMaterialException/,
  );
});

it('refuses what is no RSA 2048 private key before calling KMS', async () => {
  const before = kms.calls.length;
  await expect(importAppKey({ kms: client(), keyId: 'second', pem: 'not a pem' })).rejects.toThrow(
    /not a PEM private key/,
  );
  await expect(
    importAppKey({ kms: client(), keyId: 'second', pem: newPem('pkcs8', 3072).privateKey }),
  ).rejects.toThrow(/RSA 2048/);
  expect(kms.calls.length).toBe(before);
});

it('npm run import-app-key honours AWS_ENDPOINT_URL and prints no key material', async () => {
  const app = newPem('pkcs8');
  const pemFile = join(mkdtempSync(join(tmpdir(), 'import-app-key-')), 'app.pem');
  writeFileSync(pemFile, app.privateKey, { mode: 0o600 });
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [
      resolve(root, 'node_modules/tsx/dist/cli.mjs'),
      'scripts/import-app-key.ts',
      '--pem',
      pemFile,
      '--key-id',
      kms.arnOf('cli'),
    ],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        AWS_ENDPOINT_URL: kms.url,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_REGION: kms.region,
      },
    },
  );
  expect(stdout).toContain(`Imported the App's private key into ${kms.arnOf('cli')}`);
  expect(stdout).toContain('KMS holds the same public key');
  expect(`${stdout}${stderr}`).not.toMatch(/PRIVATE KEY|MII/);
  expect(await jwtVerifies('cli', app.publicKey)).toBe(true);
});

it('--from-app-secret: imports the secret’s PEM, then writes the secret back without it', async () => {
  const app = newPem();
  const identity = { appId: '1', slug: 'app', clientId: 'Iv23li', clientSecret: 'secret' };
  let secret: Record<string, unknown> = { ...identity, privateKey: app.privateKey };
  const writes: Array<Record<string, unknown>> = [];
  const move = () =>
    moveAppKeyFromSecret({
      kms: client(),
      keyId: 'moved',
      readSecret: () => Promise.resolve(secret),
      writeSecret: (value) => {
        writes.push(value);
        secret = value;
        return Promise.resolve();
      },
    });
  await expect(move()).resolves.toMatchObject({ verified: true, removedFromSecret: true });
  expect(writes).toEqual([identity]);
  expect(await jwtVerifies('moved', app.publicKey)).toBe(true);
  // Run again: nothing left to move, nothing written.
  await expect(move()).rejects.toThrow(/holds no privateKey/);
  expect(writes).toHaveLength(1);
});
