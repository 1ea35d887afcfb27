// The floor's secret read through Secrets Manager's API with the SDK (GetSecretValue).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const client = new SecretsManagerClient({});

export async function readSecret(arn) {
  return (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
}
