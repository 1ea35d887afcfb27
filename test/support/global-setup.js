// Jest loads global setup outside its module system; tsx loads the TypeScript launcher for it.
import { randomUUID } from 'node:crypto';
import { tsImport } from 'tsx/esm/api';

/**
 * One in-memory DynamoDB Local for the whole run; each test file makes its own uniquely named table.
 * Workers inherit the environment set here, and so does every process they start: the run's marker
 * lets global-teardown.js find any the run left behind (test/support/orphans.ts).
 */
export default async function globalSetup() {
  const { TEST_RUN_MARKER } = await tsImport('./orphans.ts', import.meta.url);
  process.env[TEST_RUN_MARKER] = randomUUID();
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const { startDynamoDbLocal } = await tsImport('../../local/dynamodb-local.ts', import.meta.url);
  const { freePort } = await tsImport('../../local/ports.ts', import.meta.url);
  const dynamodb = await startDynamoDbLocal({ port: await freePort() });
  process.env.TEST_DYNAMODB_ENDPOINT = dynamodb.endpoint;
  globalThis.__dynamodbLocal = dynamodb;
}
