import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigurationError } from '../../functions/shared/errors.js';
import { createFileSecretsSource } from '../../functions/shared/secrets/file-source.js';
import { createSecretsManagerSource } from '../../functions/shared/secrets/secrets-manager-source.js';
import { deriveServiceKeys } from '../../functions/shared/secrets/service-keys.js';
import { generateLocalSecrets } from '../../local/local-secrets.js';

const generated = generateLocalSecrets();
const appSecret = { ...generated.githubApp };

describe('deriveServiceKeys', () => {
  it('derives stable, distinct 256-bit keys per purpose', () => {
    const a = deriveServiceKeys('k'.repeat(48));
    const b = deriveServiceKeys('k'.repeat(48));
    const c = deriveServiceKeys('m'.repeat(48));
    expect(a.tokenEncryptionKey).toHaveLength(32);
    expect(a.tokenEncryptionKey.equals(b.tokenEncryptionKey)).toBe(true);
    expect(a.tokenEncryptionKey.equals(a.sessionKey)).toBe(false);
    expect(a.tokenEncryptionKey.equals(c.tokenEncryptionKey)).toBe(false);
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
      keys.tokenEncryptionKey.equals(deriveServiceKeys(generated.serviceKeys.keyMaterial).tokenEncryptionKey),
    ).toBe(true);
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
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
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
