import { getConfig } from '../config.js';
import { createFileSecretsSource } from './file-source.js';
import { createSecretsManagerSource } from './secrets-manager-source.js';
import type { SecretsSource } from './types.js';

export type { GitHubAppCredentials, SecretsSource, ServiceKeys, WebhookSecrets } from './types.js';

let source: SecretsSource | undefined;

/** The container's secrets source, chosen by configuration on first use. */
export function getSecretsSource(): SecretsSource {
  if (source) return source;
  const { secrets } = getConfig();
  source =
    secrets.kind === 'file'
      ? createFileSecretsSource(secrets.path)
      : createSecretsManagerSource({
          appSecretArn: secrets.appSecretArn,
          webhookSecretArn: secrets.webhookSecretArn,
          keysSecretArn: secrets.keysSecretArn,
        });
  return source;
}

export function resetSecretsSourceForTests(): void {
  source = undefined;
}
