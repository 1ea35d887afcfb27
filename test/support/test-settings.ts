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

/**
 * Abuse limits (docs/security.md "Abuse limits") for suites that are not about them: their few test
 * users sign in, create accounts and invite far more often than people do. The abuse-limit suites run
 * with the production defaults (startService({ productionLimits: true })).
 */
export const TEST_ABUSE_LIMITS_ENV = {
  MAX_PENDING_INVITATIONS: '1000',
  MAX_INVITATIONS_PER_HOUR: '100000',
  MAX_ACCOUNTS_PER_HOUR: '100000',
  MAX_SIGN_INS_PER_MINUTE: '100000',
  MAX_SERVICE_TOKENS_PER_MINUTE: '100000',
};
