/**
 * APP_KEY_SIGNING=kms and the App secret (functions/shared/secrets/): the secret must hold no PEM, the
 * local file's PEM never reaches the handlers, and a signer without APP_KEY_ID stops with a message.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appJwtSigning } from '../../functions/shared/app-key/app-jwt.js';
import { parseConfig, resetConfigForTests } from '../../functions/shared/config.js';
import { ConfigurationError } from '../../functions/shared/errors.js';
import { createArnSecretsSource } from '../../functions/shared/secrets/arn-source.js';
import { createFileSecretsSource } from '../../functions/shared/secrets/file-source.js';
import { generateLocalSecrets } from '../../local/local-secrets.js';

const generated = generateLocalSecrets();
const { privateKey, publicKey: _public, webhookSecret: _webhook, ...identity } = generated.githubApp;
const ARNS = { appSecretArn: 'app', keysSecretArn: 'keys' };
const BASE_ENV = {
  TABLE_NAME: 't',
  API_BASE_URL: 'https://api.example.com',
  FRONTEND_ORIGINS: 'https://app.example.com',
  GITHUB_APP_SECRET_ARN: 'app',
};

describe('the App secret in kms mode', () => {
  it('is read without privateKey', async () => {
    const source = createArnSecretsSource({ ...ARNS, appKeySigning: 'kms' }, () => Promise.resolve(identity));
    expect(await source.gitHubApp()).toEqual(identity);
  });

  it('is refused while it still holds a PEM, naming the field, never its value', async () => {
    const source = createArnSecretsSource({ ...ARNS, appKeySigning: 'kms' }, () =>
      Promise.resolve({ ...identity, privateKey }),
    );
    const error = await source.gitHubApp().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /privateKey: must not be in the App secret with APP_KEY_SIGNING=kms/,
    );
    expect((error as Error).message).not.toContain('PRIVATE KEY');
  });

  it('the default mode still needs the PEM', async () => {
    const source = createArnSecretsSource(ARNS, () => Promise.resolve(identity));
    await expect(source.gitHubApp()).rejects.toThrow(/privateKey/);
  });

  it('locally, the file’s PEM (the KMS stand-in’s key) is not handed to the handlers', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'app-key-')), 'secrets.json');
    writeFileSync(file, JSON.stringify(generated));
    const kms = await createFileSecretsSource(file, { GITHUB_PRIVATE_KEY: privateKey }, 'kms').gitHubApp();
    expect(kms).toEqual(identity);
    expect((await createFileSecretsSource(file, {}).gitHubApp()).privateKey).toBe(privateKey);
  });
});

describe('appJwtSigning', () => {
  const withEnv = (env: Record<string, string>, run: () => void) => {
    const saved = { ...process.env };
    Object.assign(process.env, BASE_ENV, env);
    resetConfigForTests();
    try {
      run();
    } finally {
      process.env = saved;
      resetConfigForTests();
    }
  };

  it('gives auth-app the PEM by default, and a createJwt (no PEM) with APP_KEY_SIGNING=kms', () => {
    withEnv({ APP_KEY_SIGNING: 'secret' }, () => {
      expect(appJwtSigning(generated.githubApp)).toEqual({ privateKey });
    });
    withEnv({ APP_KEY_SIGNING: 'kms', APP_KEY_ID: 'key', AWS_REGION: 'eu-west-1' }, () => {
      const signing = appJwtSigning(identity);
      expect(Object.keys(signing)).toEqual(['createJwt']);
      // One KMS client (and JWT cache) per container.
      expect(appJwtSigning(identity)).toEqual(signing);
    });
  });

  it('stops with a ConfigurationError when a signer has no APP_KEY_ID', () => {
    withEnv({ APP_KEY_SIGNING: 'kms' }, () => {
      expect(() => appJwtSigning(identity)).toThrow(/APP_KEY_ID is missing/);
    });
  });

  it('config: APP_KEY_SIGNING is secret or kms', () => {
    expect(parseConfig(BASE_ENV).appKeySigning).toEqual({ kind: 'secret' });
    expect(parseConfig({ ...BASE_ENV, APP_KEY_SIGNING: 'kms', APP_KEY_ID: 'k' }).appKeySigning).toEqual({
      kind: 'kms',
      keyId: 'k',
      endpoint: undefined,
    });
    expect(() => parseConfig({ ...BASE_ENV, APP_KEY_SIGNING: 'hsm' })).toThrow(/APP_KEY_SIGNING is invalid/);
  });
});
