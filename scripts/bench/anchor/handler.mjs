// The benchmark's anchor: what a Probot user deploys on Lambda for the service's webhook guarantee.
// The adapter's documented single import (one Probot: the adapter re-exports its own createProbot),
// the webhook secret read once per container at init (as AWS charges it: Secrets Manager through the
// SDK, or the Parameters and Secrets extension, the floor's secret-*.mjs), and a durable conditional
// PutItem of the delivery id with the same AWS SDK as the service, before answering.
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createLambdaFunction, createProbot } from '@probot/adapter-aws-lambda-serverless';
import { readSecret } from 'bench-secret';

const dynamodb = new DynamoDBClient({});
process.env.WEBHOOK_SECRET = JSON.parse(await readSecret(process.env.WEBHOOK_SECRET_ARN)).webhookSecret;

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
