import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { newServiceKey } from '../functions/shared/secrets/key-rotation.js';
import type { LegacyServiceKeysSecret, ServiceKeysSecret } from '../functions/shared/secrets/types.js';
import type { ServiceCredential } from './sigv4-auth.js';

/** The AWS account `npm start` plays the platform's: its service credentials name roles of it. */
export const LOCAL_PLATFORM_AWS_ACCOUNT_ID = '123456789012';

/** The role `npm start`'s seeded service credentials sign as (docs/token-vending.md "Locally"). */
export const LOCAL_SERVICE_ROLE_ARN = `arn:aws:iam::${LOCAL_PLATFORM_AWS_ACCOUNT_ID}:role/builder`;

/** Access keys shaped like IAM's (`AKIA` + 16, a 40-character secret): clients and SDKs accept them as such. */
export function newServiceCredential(roleArn: string = LOCAL_SERVICE_ROLE_ARN): ServiceCredential {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const id = [...randomBytes(16)].map((byte) => alphabet[byte % 32]).join('');
  return {
    accessKeyId: `AKIA${id}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    roleArn,
  };
}

export type LocalSecretsFile = {
  githubApp: {
    appId: string;
    slug: string;
    clientId: string;
    clientSecret: string;
    privateKey: string;
    /** Public half of privateKey: the GitHub emulator registers the App with it. */
    publicKey: string;
    webhookSecret: string;
  };
  /** Rotated by `npm run rotate-keys`; files from before key ids hold `{ keyMaterial }` (still read). */
  serviceKeys: ServiceKeysSecret | LegacyServiceKeysSecret;
  /** HMAC key of local event delivery's `X-Event-Signature-256` (docs/events.md); added to older files. */
  eventsSigningSecret?: string;
  /**
   * Who may call the IAM-authorized service routes locally (SigV4 by these keys stands for signing as
   * `roleArn`: local/sigv4-auth.ts); seeded with one for the builder role, added to older files.
   */
  serviceCredentials?: ServiceCredential[];
};

/** Where the local secrets file is (as local/start.ts resolves it). */
export function localSecretsPath(env: Record<string, string | undefined> = process.env): string {
  return resolve(env.LOCAL_SECRETS_FILE ?? `${resolve(env.LOCAL_DATA_DIR ?? '.local')}/secrets.json`);
}

/** A fresh local App identity and key material; nothing here is ever committed. */
export function generateLocalSecrets(): LocalSecretsFile {
  // GitHub hands out PKCS#1 PEM keys ("BEGIN RSA PRIVATE KEY"); use the same shape locally.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    githubApp: {
      appId: '1',
      slug: 'local-platform-app',
      clientId: `Iv23li${randomBytes(7).toString('hex')}`,
      clientSecret: randomBytes(20).toString('hex'),
      privateKey,
      publicKey,
      webhookSecret: randomBytes(20).toString('hex'),
    },
    serviceKeys: { current: newServiceKey(), retired: [] },
    eventsSigningSecret: randomBytes(32).toString('hex'),
    serviceCredentials: [newServiceCredential()],
  };
}

/** Reads the git-ignored secrets file, creating it (mode 0600) on first start. */
export function ensureLocalSecrets(path: string): { secrets: LocalSecretsFile; created: boolean } {
  if (existsSync(path)) {
    const secrets = JSON.parse(readFileSync(path, 'utf8')) as LocalSecretsFile;
    // A file from before local event delivery (or token vending): what it lacks is generated once and kept.
    const missing = !secrets.eventsSigningSecret || !secrets.serviceCredentials;
    secrets.eventsSigningSecret ||= randomBytes(32).toString('hex');
    secrets.serviceCredentials ??= [newServiceCredential()];
    if (missing) writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    return { secrets, created: false };
  }
  const secrets = generateLocalSecrets();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return { secrets, created: true };
}
