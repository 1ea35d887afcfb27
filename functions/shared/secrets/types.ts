import * as z from 'zod/mini';
import { ConfigurationError } from '../errors.js';

/** The GitHub App's credentials, as the operator stores them in the App secret (README: "Fill the secret"). */
const nonEmpty = () => z.string().check(z.minLength(1));

export const gitHubAppCredentialsSchema = z.object({
  appId: z.string().check(z.regex(/^\d+$/, 'must be the numeric App ID')),
  slug: nonEmpty(),
  clientId: nonEmpty(),
  clientSecret: nonEmpty(),
  privateKey: z.string().check(z.includes('PRIVATE KEY', { message: 'must be the PEM private key' })),
});

export type GitHubAppCredentials = z.infer<typeof gitHubAppCredentialsSchema>;

/**
 * The webhook secret(s), kept apart from the App's credentials so the public `webhook` function can
 * read them without being able to read the private key or client secret.
 */
export const webhookSecretsSchema = z.object({
  webhookSecret: nonEmpty(),
  /** Set while rotating the webhook secret: deliveries signed with either verify. */
  previousWebhookSecret: z.optional(nonEmpty()),
});

export type WebhookSecrets = z.infer<typeof webhookSecretsSchema>;

/** The generated secret: one high-entropy string that every service key is derived from. */
export const serviceKeyMaterialSchema = z.object({
  keyMaterial: z.string().check(z.minLength(32, 'must hold at least 32 characters of random key material')),
});

/** Keys derived from the key material; each purpose gets its own key. */
export type ServiceKeys = Readonly<{
  /** AES-256-GCM key for tokens stored in the table. */
  tokenEncryptionKey: Buffer;
  /** HMAC-SHA256 key for hashing session ids and OAuth states before they are stored. */
  sessionKey: Buffer;
}>;

/** One interface, two sources: Secrets Manager in AWS, a git-ignored file locally. */
export interface SecretsSource {
  gitHubApp(): Promise<GitHubAppCredentials>;
  webhookSecrets(): Promise<WebhookSecrets>;
  serviceKeys(): Promise<ServiceKeys>;
}

/** Validates a secret's JSON, naming the secret and the fields that are wrong (never their values). */
export function parseSecret<T>(schema: z.ZodMiniType<T>, value: unknown, secretName: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ConfigurationError(`Secret ${secretName} is incomplete or malformed: ${fields.join('; ')}`);
}
