import { readFile } from 'node:fs/promises';
import { ConfigurationError } from '../errors.js';
import { deriveServiceKeys } from './service-keys.js';
import {
  parseAppCredentials,
  parseSecret,
  serviceKeysSecretSchema,
  type AppKeySigning,
  type GitHubAppCredentials,
  type SecretsSource,
  type ServiceKeys,
  type WebhookSecrets,
  webhookSecretsSchema,
} from './types.js';

/**
 * The local runtime's secrets: a git-ignored JSON file `{ githubApp: {...}, serviceKeys: { current, retired } }`
 * (`githubApp` also holds `webhookSecret` and, while rotating, `previousWebhookSecret`)
 * that `npm start` generates. GitHub App settings in the environment (docs/configuration.md) win over
 * the file, so a real App can be used locally without editing it. Read once per process: after
 * `npm run rotate-keys`, restart the service.
 */
export function createFileSecretsSource(
  path: string,
  env: Record<string, string | undefined> = process.env,
  appKeySigning: AppKeySigning = 'secret',
): SecretsSource {
  let loaded: Promise<{ app: unknown; keys: ServiceKeys }> | undefined;

  const load = async () => {
    let parsed: { githubApp?: Record<string, unknown>; serviceKeys?: unknown };
    try {
      parsed = JSON.parse(await readFile(path, 'utf8')) as typeof parsed;
    } catch (error) {
      throw new ConfigurationError(
        `Cannot read the local secrets file ${path} (LOCAL_SECRETS_FILE): ${(error as Error).message}`,
      );
    }
    const overrides = Object.fromEntries(
      Object.entries({
        appId: env.GITHUB_APP_ID,
        slug: env.GITHUB_APP_SLUG,
        clientId: env.GITHUB_CLIENT_ID,
        clientSecret: env.GITHUB_CLIENT_SECRET,
        privateKey: env.GITHUB_PRIVATE_KEY?.replace(/\\n/g, '\n'),
        webhookSecret: env.GITHUB_WEBHOOK_SECRET,
      }).filter(([, value]) => value !== undefined && value !== ''),
    );
    const serviceKeys = parseSecret(serviceKeysSecretSchema(), parsed.serviceKeys, `${path} serviceKeys`);
    const app: Record<string, unknown> = { ...parsed.githubApp, ...overrides };
    // APP_KEY_SIGNING=kms: the file's PEM is the local KMS stand-in's key (local/kms-endpoint.ts), never
    // the service's: the functions sign through KMS as they do in AWS.
    if (appKeySigning === 'kms') delete app.privateKey;
    return { app, keys: deriveServiceKeys(serviceKeys) };
  };

  const cachedLoad = () => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined; // a fixed file is picked up on the next call
      throw error;
    });
    return loaded;
  };

  return {
    async gitHubApp(): Promise<GitHubAppCredentials> {
      return parseAppCredentials((await cachedLoad()).app, `${path} githubApp`, appKeySigning);
    },
    async webhookSecrets(): Promise<WebhookSecrets> {
      return parseSecret(webhookSecretsSchema(), (await cachedLoad()).app, `${path} githubApp`);
    },
    async serviceKeys(): Promise<ServiceKeys> {
      return (await cachedLoad()).keys;
    },
  };
}
