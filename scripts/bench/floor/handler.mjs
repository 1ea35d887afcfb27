// The benchmark's floor: the webhook guarantee written by hand, with nothing else. HMAC-SHA256 with
// node:crypto, the webhook secret read once per container (Secrets Manager through the SDK, or the
// Parameters and Secrets extension over loopback HTTP: FLOOR_SECRETS=extension), and the same
// conditional PutItem of the delivery id with the same SDK as the service, before answering.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { readSecret } from 'bench-secret';

const dynamodb = new DynamoDBClient({});
let secret;

export const handler = async (event) => {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const id = headers['x-github-delivery'];
  const signature = /^sha256=([0-9a-f]{64})$/.exec(headers['x-hub-signature-256'] ?? '')?.[1];
  if (!id || !signature) return { statusCode: 400, body: '{"error":"missing_headers"}' };
  secret ??= JSON.parse(await readSecret(process.env.WEBHOOK_SECRET_ARN)).webhookSecret;
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  const actual = createHmac('sha256', secret).update(body).digest();
  if (!timingSafeEqual(actual, Buffer.from(signature, 'hex')))
    return { statusCode: 401, body: '{"error":"invalid_signature"}' };
  const key = { S: `BENCH_DELIVERY#${id}` };
  await dynamodb.send(
    new PutItemCommand({
      TableName: process.env.TABLE_NAME,
      Item: { PK: key, SK: key, event: { S: headers['x-github-event'] ?? '' } },
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
  return { statusCode: 200, body: '{"ok":true}' };
};
