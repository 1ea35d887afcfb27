// The benchmark's anchor: what a Probot user deploys on Lambda for the service's webhook guarantee.
// The adapter's documented single import (one Probot: the adapter re-exports its own createProbot),
// the webhook secret read from Secrets Manager once per container (as AWS charges it), and a durable
// conditional PutItem of the delivery id with the same AWS SDK as the service, before answering.
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLambdaFunction, createProbot } from '@probot/adapter-aws-lambda-serverless';

const dynamodb = new DynamoDBClient({});
const secrets = new SecretsManagerClient({});
const { SecretString } = await secrets.send(
  new GetSecretValueCommand({ SecretId: process.env.WEBHOOK_SECRET_ARN }),
);
process.env.WEBHOOK_SECRET = JSON.parse(SecretString).webhookSecret;

const app = (probot) => {
  probot.onAny(async (context) => {
    const key = { S: `BENCH_DELIVERY#${context.id}` };
    await dynamodb.send(
      new PutItemCommand({
        TableName: process.env.TABLE_NAME,
        Item: { PK: key, SK: key, event: { S: context.name } },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  });
};

export const handler = createLambdaFunction(app, { probot: createProbot() });
