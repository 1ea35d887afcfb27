import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { ConfigurationError } from '../errors.js';
import { deriveServiceKeys } from './service-keys.js';
import {
  gitHubAppCredentialsSchema,
  parseSecret,
  serviceKeysSecretSchema,
  type GitHubAppCredentials,
  type SecretsSource,
  type ServiceKeys,
  type WebhookSecrets,
  webhookSecretsSchema,
} from './types.js';

/** Cached in the container so a warm Lambda does not call Secrets Manager on every request. */
const MAX_AGE_SECONDS = 300;

export type SecretsManagerSourceOptions = {
  appSecretArn: string | undefined;
  /** Its own secret, so the public webhook function reads it without the App's private key. */
  webhookSecretArn?: string | undefined;
  keysSecretArn: string | undefined;
};

/** Reads the secrets from Secrets Manager through Powertools Parameters (in-memory cache, JSON transform). */
export function createSecretsManagerSource(options: SecretsManagerSourceOptions): SecretsSource {
  let keys: { secret: string; keys: ServiceKeys } | undefined;

  const read = async (arn: string | undefined, setting: string): Promise<unknown> => {
    if (arn === undefined) throw new ConfigurationError(`Invalid configuration: ${setting} is missing`);
    return getSecret(arn, { maxAge: MAX_AGE_SECONDS, transform: 'json' });
  };

  return {
    async gitHubApp(): Promise<GitHubAppCredentials> {
      const value = await read(options.appSecretArn, 'GITHUB_APP_SECRET_ARN');
      return parseSecret(gitHubAppCredentialsSchema, value, 'GitHub App secret');
    },
    async webhookSecrets(): Promise<WebhookSecrets> {
      const value = await read(options.webhookSecretArn, 'WEBHOOK_SECRET_ARN');
      return parseSecret(webhookSecretsSchema, value, 'webhook secret');
    },
    async serviceKeys(): Promise<ServiceKeys> {
      const value = await read(options.keysSecretArn, 'SERVICE_KEYS_SECRET_ARN');
      const secret = parseSecret(serviceKeysSecretSchema, value, 'service keys secret');
      // HKDF only when the secret changed (rotation), not on every call.
      const fingerprint = JSON.stringify(secret);
      if (keys?.secret !== fingerprint) keys = { secret: fingerprint, keys: deriveServiceKeys(secret) };
      return keys.keys;
    },
  };
}
