import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { createArnSecretsSource, type SecretArns } from './arn-source.js';
import type { SecretsSource } from './types.js';

/** Cached in the container so a warm Lambda does not call Secrets Manager on every request. */
export const MAX_AGE_SECONDS = 300;

export type SecretsManagerSourceOptions = SecretArns;

/** Reads the secrets from Secrets Manager through Powertools Parameters (in-memory cache, JSON transform). */
export function createSecretsManagerSource(options: SecretsManagerSourceOptions): SecretsSource {
  return createArnSecretsSource(options, (arn) =>
    getSecret(arn, { maxAge: MAX_AGE_SECONDS, transform: 'json' }),
  );
}
