import { getConfig } from '../config.js';
import type { SecretArns } from './arn-source.js';
import { createExtensionSecretsSource } from './extension-source.js';
import { createFileSecretsSource } from './file-source.js';
import type { SecretsSource } from './types.js';

export type { GitHubAppCredentials, SecretsSource, ServiceKeys, WebhookSecrets } from './types.js';

let source: SecretsSource | undefined;

/**
 * A source whose module is imported on first use: the SDK's Secrets Manager client and Powertools
 * Parameters are evaluated only where the SDK reads the secrets (not with the extension, nor locally).
 * The extension's reader (a few lines over node:http) is loaded at once, so init's prefetch sends its
 * request while the rest of the bundle is still being evaluated.
 */
function lazySource(load: () => Promise<SecretsSource>): SecretsSource {
  let loaded: Promise<SecretsSource> | undefined;
  const get = () => (loaded ??= load());
  return {
    gitHubApp: async () => (await get()).gitHubApp(),
    webhookSecrets: async () => (await get()).webhookSecrets(),
    serviceKeys: async () => (await get()).serviceKeys(),
  };
}

/** The container's secrets source, chosen by configuration on first use. */
export function getSecretsSource(): SecretsSource {
  if (source) return source;
  const { secrets } = getConfig();
  if (secrets.kind === 'file') {
    source = createFileSecretsSource(secrets.path);
    return source;
  }
  const arns: SecretArns = {
    appSecretArn: secrets.appSecretArn,
    webhookSecretArn: secrets.webhookSecretArn,
    keysSecretArn: secrets.keysSecretArn,
  };
  source =
    secrets.reader === 'extension'
      ? createExtensionSecretsSource(arns)
      : lazySource(async () =>
          (await import('./secrets-manager-source.js')).createSecretsManagerSource(arns),
        );
  return source;
}

export function resetSecretsSourceForTests(): void {
  source = undefined;
}
