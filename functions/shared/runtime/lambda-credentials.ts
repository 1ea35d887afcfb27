import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';

/**
 * Bundles only (lib/bundling.ts aliases `@aws-sdk/credential-provider-node` to this module): the
 * credentials of an AWS SDK client in Lambda. Lambda always puts the execution role's credentials in
 * the environment, so the default chain's other providers (SSO, ini files, process, web identity,
 * container and instance metadata, with their STS/SSO clients and `node:http`) are dead weight at
 * every cold start. Local runs and the bundle tests set static credentials in the environment too.
 * The TypeScript sources (npm start, npm test) keep the SDK's own chain.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]): AwsCredentialIdentityProvider =>
  fromEnv(init);
