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

/** The secrets' ARNs, as the stack gives each function only those it may read. */
export type SecretArns = {
  appSecretArn: string | undefined;
  /** Its own secret, so the public webhook function reads it without the App's private key. */
  webhookSecretArn?: string | undefined;
  keysSecretArn: string | undefined;
  /** `kms`: the App secret must hold no privateKey (types.ts kmsGitHubAppCredentialsSchema). */
  appKeySigning?: AppKeySigning;
};

/** Reads one secret's JSON value by ARN (Secrets Manager's API, or the Parameters and Secrets extension). */
export type ReadSecret = (arn: string) => Promise<unknown>;

/** The secrets of AWS, validated; `read` does the fetching and caching. */
export function createArnSecretsSource(options: SecretArns, read: ReadSecret): SecretsSource {
  let keys: { secret: string; keys: ServiceKeys } | undefined;
  /** Reads in flight, shared: a request arriving while init's prefetch reads the secret waits for it. */
  const inFlight = new Map<string, Promise<unknown>>();

  const readArn = async (arn: string | undefined, setting: string): Promise<unknown> => {
    if (arn === undefined) throw new ConfigurationError(`Invalid configuration: ${setting} is missing`);
    const pending = inFlight.get(arn);
    if (pending) return pending;
    const reading = read(arn).finally(() => inFlight.delete(arn));
    inFlight.set(arn, reading);
    return reading;
  };

  return {
    async gitHubApp(): Promise<GitHubAppCredentials> {
      const value = await readArn(options.appSecretArn, 'GITHUB_APP_SECRET_ARN');
      return parseAppCredentials(value, 'GitHub App secret', options.appKeySigning);
    },
    async webhookSecrets(): Promise<WebhookSecrets> {
      const value = await readArn(options.webhookSecretArn, 'WEBHOOK_SECRET_ARN');
      return parseSecret(webhookSecretsSchema(), value, 'webhook secret');
    },
    async serviceKeys(): Promise<ServiceKeys> {
      const value = await readArn(options.keysSecretArn, 'SERVICE_KEYS_SECRET_ARN');
      const secret = parseSecret(serviceKeysSecretSchema(), value, 'service keys secret');
      // HKDF only when the secret changed (rotation), not on every call.
      const fingerprint = JSON.stringify(secret);
      if (keys?.secret !== fingerprint) keys = { secret: fingerprint, keys: deriveServiceKeys(secret) };
      return keys.keys;
    },
  };
}
