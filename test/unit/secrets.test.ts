import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigurationError } from '../../functions/shared/errors.js';
import { createFileSecretsSource } from '../../functions/shared/secrets/file-source.js';
import { createSecretsManagerSource } from '../../functions/shared/secrets/secrets-manager-source.js';
import {
  deriveServiceKey,
  deriveServiceKeys,
  legacyKeyId,
} from '../../functions/shared/secrets/service-keys.js';
import { parseSecret, serviceKeysSecretSchema } from '../../functions/shared/secrets/types.js';
import { generateLocalSecrets } from '../../local/local-secrets.js';

const generated = generateLocalSecrets();
const appSecret = { ...generated.githubApp };

describe('deriveServiceKeys', () => {
  const material = (c: string) => c.repeat(48);

  it('derives stable, distinct 256-bit keys per purpose', () => {
    const a = deriveServiceKey('a', material('k'));
    const b = deriveServiceKey('b', material('k'));
    const c = deriveServiceKey('a', material('m'));
    expect(a.tokenEncryptionKey).toHaveLength(32);
    expect(a.tokenEncryptionKey.equals(b.tokenEncryptionKey)).toBe(true);
    expect(a.tokenEncryptionKey.equals(a.sessionKey)).toBe(false);
    expect(a.tokenEncryptionKey.equals(c.tokenEncryptionKey)).toBe(false);
  });

  it('gives a secret without key ids a deterministic key id, marked legacy', () => {
    const keys = deriveServiceKeys({ keyMaterial: material('k') });
    expect(keys.current.keyId).toMatch(/^legacy-[0-9a-f]{12}$/);
    expect(keys.current.keyId).toBe(deriveServiceKeys({ keyMaterial: material('k') }).current.keyId);
    expect(keys.current.keyId).not.toBe(deriveServiceKeys({ keyMaterial: material('m') }).current.keyId);
    expect(keys.current).toMatchObject({ legacy: true });
    expect(keys.others).toEqual([]);
    // The same key keeps its id and legacy mark once rotated into `retired`.
    const rotated = deriveServiceKeys({
      current: { keyId: 'k2', keyMaterial: material('n') },
      retired: [{ keyId: keys.current.keyId, keyMaterial: material('k') }],
    });
    expect(rotated.current).toMatchObject({ keyId: 'k2', legacy: false });
    expect(rotated.others[0]?.tokenEncryptionKey.equals(keys.current.tokenEncryptionKey)).toBe(true);
    expect(rotated.others[0]).toMatchObject({ keyId: keys.current.keyId, legacy: true });
  });

  it('reads the staged key before the retired ones', () => {
    const keys = deriveServiceKeys({
      current: { keyId: 'b', keyMaterial: material('b') },
      next: { keyId: 'c', keyMaterial: material('c') },
      retired: [{ keyId: 'a', keyMaterial: material('a'), retiredAt: '2025-01-01T00:00:00Z' }],
    });
    expect([keys.current.keyId, ...keys.others.map((key) => key.keyId)]).toEqual(['b', 'c', 'a']);
  });
});

describe('serviceKeysSecretSchema', () => {
  const key = (keyId: string) => ({ keyId, keyMaterial: 'x'.repeat(40) });
  const problems = (value: unknown) => {
    try {
      parseSecret(serviceKeysSecretSchema(), value, 'keys');
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('accepts both shapes and refuses duplicate or malformed key ids, short material', () => {
    expect(problems({ keyMaterial: 'x'.repeat(40) })).toBe('');
    expect(problems({ current: key('a'), retired: [key('b')] })).toBe('');
    expect(problems({ current: key('a'), retired: [key('a')] })).toMatch(/unique/);
    expect(problems({ current: key('a.b') })).toMatch(/Secret keys/);
    expect(problems({ current: { keyId: 'a', keyMaterial: 'short' } })).toMatch(/Secret keys/);
    expect(problems({ current: { keyId: 'a.b', keyMaterial: 'y'.repeat(40) } })).not.toContain(
      'y'.repeat(40),
    );
  });
});

describe('createFileSecretsSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-'));

  it('reads the App credentials and derives the service keys from the file', async () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify(generated));
    const source = createFileSecretsSource(path, {});
    await expect(source.gitHubApp()).resolves.toMatchObject({ appId: '1', slug: 'local-platform-app' });
    const keys = await source.serviceKeys();
    expect(
      keys.current.tokenEncryptionKey.equals(
        deriveServiceKeys(generated.serviceKeys).current.tokenEncryptionKey,
      ),
    ).toBe(true);
    expect(keys.current.keyId).toMatch(/^k\d{8}-[0-9a-f]{8}$/);
  });

  it('still reads a file from before key ids', async () => {
    const path = join(dir, 'legacy.json');
    const keyMaterial = 'L'.repeat(64);
    writeFileSync(path, JSON.stringify({ ...generated, serviceKeys: { keyMaterial } }));
    const keys = await createFileSecretsSource(path, {}).serviceKeys();
    expect(keys.current).toMatchObject({ keyId: legacyKeyId(keyMaterial), legacy: true });
  });

  it('lets environment settings override the file (a real App used locally)', async () => {
    const path = join(dir, 'override.json');
    writeFileSync(path, JSON.stringify(generated));
    const source = createFileSecretsSource(path, { GITHUB_APP_ID: '987', GITHUB_WEBHOOK_SECRET: 'from-env' });
    await expect(source.gitHubApp()).resolves.toMatchObject({ appId: '987' });
    await expect(source.webhookSecrets()).resolves.toEqual({ webhookSecret: 'from-env' });
  });

  it('serves the webhook secrets from githubApp, apart from the App credentials', async () => {
    const path = join(dir, 'webhook.json');
    const githubApp = { ...generated.githubApp, previousWebhookSecret: 'old' };
    writeFileSync(path, JSON.stringify({ ...generated, githubApp }));
    const source = createFileSecretsSource(path, {});
    await expect(source.webhookSecrets()).resolves.toEqual({
      webhookSecret: generated.githubApp.webhookSecret,
      previousWebhookSecret: 'old',
    });
    expect(await source.gitHubApp()).not.toHaveProperty('webhookSecret');
  });

  it('names the file and setting when it cannot be read', async () => {
    const source = createFileSecretsSource(join(dir, 'missing.json'), {});
    await expect(source.serviceKeys()).rejects.toThrow(ConfigurationError);
    await expect(source.serviceKeys()).rejects.toThrow(/LOCAL_SECRETS_FILE/);
  });

  it('names the missing fields, never the values', async () => {
    const path = join(dir, 'partial.json');
    const { clientSecret: _omitted, ...partial } = appSecret;
    writeFileSync(path, JSON.stringify({ githubApp: partial, serviceKeys: generated.serviceKeys }));
    const error = await createFileSecretsSource(path, {})
      .gitHubApp()
      .then(
        () => new Error('expected a rejection'),
        (e: unknown) => e as Error,
      );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/clientSecret/);
    expect(error.message).not.toContain(appSecret.privateKey.slice(40, 80));
  });
});

describe('createSecretsManagerSource', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  afterEach(() => secretsManager.reset());

  it('reads both secrets as JSON and caches them in the container', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'arn:app' })
      .resolves({ SecretString: JSON.stringify(appSecret) })
      .on(GetSecretValueCommand, { SecretId: 'arn:keys' })
      .resolves({ SecretString: JSON.stringify({ keyMaterial: 'x'.repeat(64) }) });
    const source = createSecretsManagerSource({ appSecretArn: 'arn:app', keysSecretArn: 'arn:keys' });

    await expect(source.gitHubApp()).resolves.toMatchObject({ clientId: appSecret.clientId });
    await source.gitHubApp();
    const keys = await source.serviceKeys();
    expect(keys).toBe(await source.serviceKeys());
    expect(keys.current.keyId).toBe(legacyKeyId('x'.repeat(64)));
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reads the keyring shape: current, staged and retired keys', async () => {
    const key = (keyId: string) => ({ keyId, keyMaterial: keyId.repeat(40) });
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'arn:ring' })
      .resolves({ SecretString: JSON.stringify({ current: key('b'), next: key('c'), retired: [key('a')] }) });
    const keys = await createSecretsManagerSource({
      appSecretArn: undefined,
      keysSecretArn: 'arn:ring',
    }).serviceKeys();
    expect([keys.current.keyId, ...keys.others.map((k) => k.keyId)]).toEqual(['b', 'c', 'a']);
  });

  it('reads the webhook secrets from their own secret, and the App secret without them', async () => {
    const { webhookSecret: _moved, publicKey: _unused, ...app } = appSecret;
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'arn:app-only' })
      .resolves({ SecretString: JSON.stringify(app) })
      .on(GetSecretValueCommand, { SecretId: 'arn:webhook' })
      .resolves({ SecretString: JSON.stringify({ webhookSecret: 'w1', previousWebhookSecret: 'w0' }) });
    const source = createSecretsManagerSource({
      appSecretArn: 'arn:app-only',
      webhookSecretArn: 'arn:webhook',
      keysSecretArn: undefined,
    });
    await expect(source.webhookSecrets()).resolves.toEqual({
      webhookSecret: 'w1',
      previousWebhookSecret: 'w0',
    });
    await expect(source.gitHubApp()).resolves.toMatchObject({ appId: app.appId });
    expect(
      secretsManager.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId),
    ).toEqual(['arn:webhook', 'arn:app-only']);
    const unset = createSecretsManagerSource({ appSecretArn: 'arn:app-only', keysSecretArn: undefined });
    await expect(unset.webhookSecrets()).rejects.toThrow(/WEBHOOK_SECRET_ARN is missing/);
  });

  it('explains an App secret the operator has not filled in yet', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({
        appId: '',
        slug: '',
        clientId: '',
        clientSecret: '',
        privateKey: '',
        webhookSecret: 'w',
      }),
    });
    const source = createSecretsManagerSource({ appSecretArn: 'arn:empty', keysSecretArn: undefined });
    await expect(source.gitHubApp()).rejects.toThrow(/GitHub App secret is incomplete.*appId.*privateKey/);
  });

  it('names the missing ARN setting', async () => {
    const source = createSecretsManagerSource({ appSecretArn: undefined, keysSecretArn: undefined });
    await expect(source.serviceKeys()).rejects.toThrow(/SERVICE_KEYS_SECRET_ARN is missing/);
  });
});
