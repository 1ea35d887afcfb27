import * as z from 'zod/mini';
import { ConfigurationError } from './errors.js';

// zod/mini: the same validation as zod's classic API at a small fraction of the bundle size.
const commaList = z.pipe(
  z.pipe(
    z.string(),
    z.transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    ),
  ),
  z.array(z.url()).check(z.minLength(1)),
);

const baseUrl = z.pipe(
  z.url(),
  z.transform((value) => value.replace(/\/+$/, '')),
);

/**
 * Every setting the functions read, validated once per container. The CDK stack sets them on each
 * Lambda; the local runtime sets them in its own process. README.md lists them.
 */
const nonEmpty = () => z.string().check(z.minLength(1));
/** A whole number of at least 1, from the environment's text. */
const positiveInt = () =>
  z.optional(
    z.pipe(
      z.string().check(z.regex(/^[1-9][0-9]*$/)),
      z.transform((value) => Number(value)),
    ),
  );

const schema = z
  .object({
    TABLE_NAME: nonEmpty(),
    /** Public base URL of this API; the OAuth callback and setup URLs hang off it. */
    API_BASE_URL: baseUrl,
    /** Origins allowed to call the API with credentials and to be redirected back to. */
    FRONTEND_ORIGINS: commaList,
    GITHUB_API_URL: z._default(baseUrl, 'https://api.github.com'),
    GITHUB_WEB_URL: z._default(baseUrl, 'https://github.com'),
    /** Only for DynamoDB Local; unset in AWS. */
    DYNAMODB_ENDPOINT: z.optional(z.url()),
    /**
     * DynamoDB client limits (store/table.ts DYNAMODB_CLIENT_LIMITS when unset, as in AWS): settings for
     * a test run or a slow local machine, never set by the stack.
     */
    DYNAMODB_MAX_ATTEMPTS: positiveInt(),
    DYNAMODB_CONNECTION_TIMEOUT_MS: positiveInt(),
    DYNAMODB_REQUEST_TIMEOUT_MS: positiveInt(),
    GITHUB_APP_SECRET_ARN: z.optional(nonEmpty()),
    /** The webhook secret(s), apart from the App secret: the webhook function reads only this one. */
    WEBHOOK_SECRET_ARN: z.optional(nonEmpty()),
    SERVICE_KEYS_SECRET_ARN: z.optional(nonEmpty()),
    /**
     * How the secrets are read in AWS: Secrets Manager's API through the SDK, or the AWS Parameters and
     * Secrets Lambda extension's local HTTP interface (docs/performance.md "Secrets: SDK or extension (decision)").
     */
    SECRETS_READER: z._default(z.enum(['sdk', 'extension']), 'sdk'),
    /** Local runtime only: a git-ignored JSON file instead of Secrets Manager. */
    LOCAL_SECRETS_FILE: z.optional(nonEmpty()),
    /** Who may link an organization's installation (docs/how-it-works.md "Who may link"): owners unless widened. */
    LINK_POLICY: z._default(z.enum(['org-owners', 'org-members']), 'org-owners'),
    /**
     * The platform's AWS account: service access policies name IAM roles of it only, and token vending
     * serves callers from it only (docs/token-vending.md). The stack sets its own account.
     */
    PLATFORM_AWS_ACCOUNT_ID: z.optional(z.string().check(z.regex(/^[0-9]{12}$/))),
    /** Abuse limits (docs/security.md "Abuse limits"); each unset one keeps its default (ABUSE_LIMIT_DEFAULTS). */
    MAX_PENDING_INVITATIONS: positiveInt(),
    MAX_INVITATIONS_PER_HOUR: positiveInt(),
    MAX_ACCOUNTS_PER_HOUR: positiveInt(),
    MAX_SIGN_INS_PER_MINUTE: positiveInt(),
    MAX_SERVICE_TOKENS_PER_MINUTE: positiveInt(),
    /**
     * How App JWTs are signed (docs/security.md "The App's private key in KMS"): with the PEM in the App
     * secret, or by KMS Sign with the key APP_KEY_ID (the secret then holds no privateKey).
     */
    APP_KEY_SIGNING: z._default(z.enum(['secret', 'kms']), 'secret'),
    /** The KMS key (id, ARN or alias) holding the App's private key; set only on functions that sign. */
    APP_KEY_ID: z.optional(nonEmpty()),
    /** Local runs and tests only: a KMS endpoint (the stand-in local/kms-endpoint.ts); unset in AWS. */
    KMS_ENDPOINT: z.optional(z.url()),
  })
  .check(
    z.refine(
      (env) =>
        env.LOCAL_SECRETS_FILE !== undefined ||
        env.GITHUB_APP_SECRET_ARN !== undefined ||
        env.WEBHOOK_SECRET_ARN !== undefined ||
        env.SERVICE_KEYS_SECRET_ARN !== undefined,
      {
        message:
          'set GITHUB_APP_SECRET_ARN / WEBHOOK_SECRET_ARN / SERVICE_KEYS_SECRET_ARN (AWS) or LOCAL_SECRETS_FILE (local)',
        path: ['GITHUB_APP_SECRET_ARN'],
      },
    ),
  );

/** How much one user or account may do (docs/security.md "Abuse limits"). */
export type AbuseLimitSettings = Readonly<{
  pendingInvitationsPerAccount: number;
  invitationsPerUserPerHour: number;
  accountsPerUserPerHour: number;
  signInsPerUserPerMinute: number;
  /** Token vending requests (and revocations) per IAM principal per minute (docs/token-vending.md). */
  serviceTokensPerPrincipalPerMinute: number;
}>;

/** The defaults; `-c` context keys (lib/stack-settings.ts) or `MAX_*` variables override each. */
export const ABUSE_LIMIT_DEFAULTS: AbuseLimitSettings = Object.freeze({
  pendingInvitationsPerAccount: 50,
  invitationsPerUserPerHour: 20,
  accountsPerUserPerHour: 10,
  signInsPerUserPerMinute: 10,
  serviceTokensPerPrincipalPerMinute: 120,
});

export type Config = Readonly<{
  tableName: string;
  apiBaseUrl: string;
  frontendOrigins: readonly string[];
  githubApiUrl: string;
  githubWebUrl: string;
  dynamodbEndpoint: string | undefined;
  /** Overrides of the DynamoDB client's limits; each absent one keeps the production value. */
  dynamodbLimits: Readonly<{ maxAttempts?: number; connectionTimeoutMs?: number; requestTimeoutMs?: number }>;
  linkPolicy: 'org-owners' | 'org-members';
  /** Unset: no service access can be granted or used (docs/token-vending.md). */
  platformAwsAccountId: string | undefined;
  abuseLimits: AbuseLimitSettings;
  appKeySigning:
    { kind: 'secret' } | { kind: 'kms'; keyId: string | undefined; endpoint: string | undefined };
  secrets:
    | {
        kind: 'aws';
        reader: 'sdk' | 'extension';
        appSecretArn: string | undefined;
        webhookSecretArn: string | undefined;
        keysSecretArn: string | undefined;
      }
    | { kind: 'file'; path: string };
}>;

/** Parses settings from an environment; throws a ConfigurationError naming every bad or missing one. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      return env[name] === undefined && issue.code !== 'custom'
        ? `${name} is missing`
        : `${name} is invalid (${issue.message})`;
    });
    throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const values = result.data;
  return Object.freeze({
    tableName: values.TABLE_NAME,
    apiBaseUrl: values.API_BASE_URL,
    frontendOrigins: Object.freeze(values.FRONTEND_ORIGINS.map((origin) => new URL(origin).origin)),
    githubApiUrl: values.GITHUB_API_URL,
    githubWebUrl: values.GITHUB_WEB_URL,
    dynamodbEndpoint: values.DYNAMODB_ENDPOINT,
    dynamodbLimits: Object.freeze({
      ...(values.DYNAMODB_MAX_ATTEMPTS === undefined ? {} : { maxAttempts: values.DYNAMODB_MAX_ATTEMPTS }),
      ...(values.DYNAMODB_CONNECTION_TIMEOUT_MS === undefined
        ? {}
        : { connectionTimeoutMs: values.DYNAMODB_CONNECTION_TIMEOUT_MS }),
      ...(values.DYNAMODB_REQUEST_TIMEOUT_MS === undefined
        ? {}
        : { requestTimeoutMs: values.DYNAMODB_REQUEST_TIMEOUT_MS }),
    }),
    linkPolicy: values.LINK_POLICY,
    platformAwsAccountId: values.PLATFORM_AWS_ACCOUNT_ID,
    abuseLimits: Object.freeze({
      pendingInvitationsPerAccount:
        values.MAX_PENDING_INVITATIONS ?? ABUSE_LIMIT_DEFAULTS.pendingInvitationsPerAccount,
      invitationsPerUserPerHour:
        values.MAX_INVITATIONS_PER_HOUR ?? ABUSE_LIMIT_DEFAULTS.invitationsPerUserPerHour,
      accountsPerUserPerHour: values.MAX_ACCOUNTS_PER_HOUR ?? ABUSE_LIMIT_DEFAULTS.accountsPerUserPerHour,
      signInsPerUserPerMinute: values.MAX_SIGN_INS_PER_MINUTE ?? ABUSE_LIMIT_DEFAULTS.signInsPerUserPerMinute,
      serviceTokensPerPrincipalPerMinute:
        values.MAX_SERVICE_TOKENS_PER_MINUTE ?? ABUSE_LIMIT_DEFAULTS.serviceTokensPerPrincipalPerMinute,
    }),
    appKeySigning:
      values.APP_KEY_SIGNING === 'kms'
        ? { kind: 'kms' as const, keyId: values.APP_KEY_ID, endpoint: values.KMS_ENDPOINT }
        : { kind: 'secret' as const },
    secrets:
      values.LOCAL_SECRETS_FILE !== undefined
        ? { kind: 'file' as const, path: values.LOCAL_SECRETS_FILE }
        : {
            kind: 'aws' as const,
            reader: values.SECRETS_READER,
            appSecretArn: values.GITHUB_APP_SECRET_ARN,
            webhookSecretArn: values.WEBHOOK_SECRET_ARN,
            keysSecretArn: values.SERVICE_KEYS_SECRET_ARN,
          },
  });
}

let cached: Config | undefined;

/** The container's configuration, read from process.env on first use. */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Tests and the local runtime change the environment between runs. */
export function resetConfigForTests(): void {
  cached = undefined;
}
