import * as z from 'zod/mini';
import { ConfigurationError } from '../shared/errors.js';

/** How long an account's activity is kept unless `-c activityRetentionDays` (ACTIVITY_RETENTION_DAYS). */
export const ACTIVITY_RETENTION_DEFAULT_DAYS = 90;

/**
 * The activity-log function's settings. Its own, not config.ts's: it reads no secret and serves no
 * request, so it is given only the table and the retention.
 */
const positiveInt = () =>
  z.optional(
    z.pipe(
      z.string().check(z.regex(/^[1-9][0-9]*$/)),
      z.transform((value) => Number(value)),
    ),
  );

const schema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1)),
  /** Only for DynamoDB Local; unset in AWS. */
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  /** DynamoDB client limits for tests and slow machines (config.ts); unset in AWS. */
  DYNAMODB_MAX_ATTEMPTS: positiveInt(),
  DYNAMODB_CONNECTION_TIMEOUT_MS: positiveInt(),
  DYNAMODB_REQUEST_TIMEOUT_MS: positiveInt(),
  ACTIVITY_RETENTION_DAYS: z._default(
    z.pipe(
      z.string().check(z.regex(/^[1-9][0-9]{0,4}$/)),
      z.transform((value) => Number(value)),
    ),
    ACTIVITY_RETENTION_DEFAULT_DAYS,
  ),
});

export type ActivityLogSettings = Readonly<{
  tableName: string;
  dynamodbEndpoint: string | undefined;
  dynamodbLimits: Readonly<{ maxAttempts?: number; connectionTimeoutMs?: number; requestTimeoutMs?: number }>;
  retentionDays: number;
}>;

export function parseActivityLogSettings(env: Record<string, string | undefined>): ActivityLogSettings {
  const result = schema.safeParse(env);
  if (!result.success) {
    const names = result.error.issues.map((issue) => String(issue.path[0] ?? 'environment'));
    throw new ConfigurationError(`Invalid configuration: ${[...new Set(names)].join(', ')}`);
  }
  return Object.freeze({
    tableName: result.data.TABLE_NAME,
    dynamodbEndpoint: result.data.DYNAMODB_ENDPOINT,
    dynamodbLimits: {
      ...(result.data.DYNAMODB_MAX_ATTEMPTS === undefined
        ? {}
        : { maxAttempts: result.data.DYNAMODB_MAX_ATTEMPTS }),
      ...(result.data.DYNAMODB_CONNECTION_TIMEOUT_MS === undefined
        ? {}
        : { connectionTimeoutMs: result.data.DYNAMODB_CONNECTION_TIMEOUT_MS }),
      ...(result.data.DYNAMODB_REQUEST_TIMEOUT_MS === undefined
        ? {}
        : { requestTimeoutMs: result.data.DYNAMODB_REQUEST_TIMEOUT_MS }),
    },
    retentionDays: result.data.ACTIVITY_RETENTION_DAYS,
  });
}
