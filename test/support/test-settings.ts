import type { DynamoClientLimits } from '../../functions/shared/store/table.js';

/**
 * DynamoDB client limits for tests (settings, not the production constants of store/table.ts): DynamoDB
 * Local on a busy 2-core machine can pause for seconds (the JVM, other suites), which the production
 * 1 s / 3 attempts would turn into 503s no test asked for. Suites about DynamoDB faults use the
 * production limits (startService({ dynamoFaults: true })), since those are what they test.
 */
export const TEST_DYNAMODB_LIMITS: DynamoClientLimits = {
  maxAttempts: 4,
  connectionTimeoutMs: 5000,
  requestTimeoutMs: 8000,
};

/** The same, as the handlers' environment (functions/shared/config.ts). */
export const TEST_DYNAMODB_ENV = {
  DYNAMODB_MAX_ATTEMPTS: String(TEST_DYNAMODB_LIMITS.maxAttempts),
  DYNAMODB_CONNECTION_TIMEOUT_MS: String(TEST_DYNAMODB_LIMITS.connectionTimeoutMs),
  DYNAMODB_REQUEST_TIMEOUT_MS: String(TEST_DYNAMODB_LIMITS.requestTimeoutMs),
};
