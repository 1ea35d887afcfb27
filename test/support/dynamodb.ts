import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../local/create-table.js';
import { LOCAL_AWS_SETTINGS } from '../../local/dynamodb-local.js';
import { createDocumentClient, Table } from '../../functions/shared/store/table.js';
import { TEST_DYNAMODB_LIMITS } from './test-settings.js';

export function testDynamoEndpoint(): string {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint)
    throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run the tests through jest (global setup)');
  return endpoint;
}

/** A fresh table in the shared DynamoDB Local, built from the stack's definition. */
export async function createTestTable(options: { now?: () => number; stream?: boolean } = {}): Promise<{
  table: Table;
  tableName: string;
  raw: DynamoDBClient;
  close(): void;
}> {
  const endpoint = testDynamoEndpoint();
  const tableName = `test-${randomUUID()}`;
  const raw = new DynamoDBClient({ ...LOCAL_AWS_SETTINGS, endpoint });
  // A stream only for the tests that read it (event delivery): it slows DynamoDB Local's writes.
  await ensureTable(raw, tableName, { stream: options.stream ?? false });
  const documentClient = createDocumentClient({ endpoint, limits: TEST_DYNAMODB_LIMITS });
  const table = new Table({
    client: documentClient,
    tableName,
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    table,
    tableName,
    raw,
    close: () => {
      documentClient.destroy();
      raw.destroy();
    },
  };
}
