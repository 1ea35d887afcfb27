import { getConfig } from '../config.js';
import type { SecretArns } from './arn-source.js';
import { createExtensionSecretsSource } from './extension-source.js';
import { createFileSecretsSource } from './file-source.js';
import { createSecretsManagerSource } from './secrets-manager-source.js';
import type { SecretsSource } from './types.js';

export type { GitHubAppCredentials, SecretsSource, ServiceKeys, WebhookSecrets } from './types.js';

let source: SecretsSource | undefined;

/**
 * The container's secrets source, chosen by configuration on first use: the local file, or in AWS
 * Secrets Manager through the SDK (the stack's choice) or through the Parameters and Secrets extension
 * (SECRETS_READER=extension, with the extension's layer added; docs/performance.md "Secrets: SDK or extension (decision)").
 */
export function getSecretsSource(): SecretsSource {
  if (source) return source;
  const { secrets, appKeySigning } = getConfig();
  if (secrets.kind === 'file') {
    source = createFileSecretsSource(secrets.path, process.env, appKeySigning.kind);
    return source;
  }
  const arns: SecretArns = {
    appSecretArn: secrets.appSecretArn,
    webhookSecretArn: secrets.webhookSecretArn,
    keysSecretArn: secrets.keysSecretArn,
    appKeySigning: appKeySigning.kind,
  };
  source =
    secrets.reader === 'extension' ? createExtensionSecretsSource(arns) : createSecretsManagerSource(arns);
  return source;
}

export function resetSecretsSourceForTests(): void {
  source = undefined;
}
