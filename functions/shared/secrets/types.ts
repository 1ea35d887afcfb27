import * as z from 'zod/mini';
import { ConfigurationError } from '../errors.js';
import { once } from '../once.js';

/** The GitHub App's credentials, as the operator stores them in the App secret (README: "Fill the secret"). */
const nonEmpty = () => z.string().check(z.minLength(1));

const appIdentity = () => ({
  appId: z.string().check(z.regex(/^\d+$/, 'must be the numeric App ID')),
  slug: nonEmpty(),
  clientId: nonEmpty(),
  clientSecret: nonEmpty(),
});

// Each schema is built on first use (once): a function builds only those of the secrets it reads.
export const gitHubAppCredentialsSchema = once(() =>
  z.object({
    ...appIdentity(),
    privateKey: z.string().check(z.includes('PRIVATE KEY', { message: 'must be the PEM private key' })),
  }),
);

/**
 * APP_KEY_SIGNING=kms: the private key lives in KMS and only KMS signs with it. A PEM left in the
 * secret is refused, so "no function can read the key" stays true (delete it after `import-app-key`).
 */
export const kmsGitHubAppCredentialsSchema = once(() =>
  z.object({
    ...appIdentity(),
    privateKey: z.optional(
      z.never({
        error: 'must not be in the App secret with APP_KEY_SIGNING=kms (the key is in KMS: delete the field)',
      }),
    ),
  }),
);

/** Where the App's JWTs are signed: with the PEM in the App secret, or by KMS (no PEM anywhere). */
export type AppKeySigning = 'secret' | 'kms';

/** `privateKey` is absent with APP_KEY_SIGNING=kms. */
export type GitHubAppCredentials =
  | z.infer<ReturnType<typeof gitHubAppCredentialsSchema>>
  | z.infer<ReturnType<typeof kmsGitHubAppCredentialsSchema>>;

/**
 * The webhook secret(s), kept apart from the App's credentials so the public `webhook` function can
 * read them without being able to read the private key or client secret.
 */
export const webhookSecretsSchema = once(() =>
  z.object({
    webhookSecret: nonEmpty(),
    /** Set while rotating the webhook secret: deliveries signed with either verify. */
    previousWebhookSecret: z.optional(nonEmpty()),
  }),
);

export type WebhookSecrets = z.infer<ReturnType<typeof webhookSecretsSchema>>;

const keyMaterial = () =>
  z.string().check(z.minLength(32, 'must hold at least 32 characters of random key material'));
/** Key ids travel inside ciphertexts (`v2.<keyId>.…`) and session keys: no dots, short. */
export const KEY_ID = /^[A-Za-z0-9_-]{1,40}$/;
const keyId = () => z.string().check(z.regex(KEY_ID, 'must be 1-40 letters, digits, _ or -'));

/** Today's (and the CDK-generated) shape: one key, no id. Its key id is derived from the material. */
export const legacyServiceKeysSchema = once(() => z.object({ keyMaterial: keyMaterial() }));

/**
 * The rotating shape: `current` seals and hashes everything new; `next` (staged by
 * `rotate-keys --stage`) and `retired` keys only read, so values sealed before a rotation stay readable.
 */
export const keyringServiceKeysSchema = once(() =>
  z
    .object({
      current: z.object({ keyId: keyId(), keyMaterial: keyMaterial(), createdAt: z.optional(z.string()) }),
      next: z.optional(
        z.object({ keyId: keyId(), keyMaterial: keyMaterial(), createdAt: z.optional(z.string()) }),
      ),
      retired: z.optional(
        z.array(z.object({ keyId: keyId(), keyMaterial: keyMaterial(), retiredAt: z.optional(z.string()) })),
      ),
    })
    .check(
      z.refine((secret) => {
        const ids = [secret.current, secret.next, ...(secret.retired ?? [])].flatMap((key) =>
          key ? [key.keyId] : [],
        );
        return new Set(ids).size === ids.length;
      }, 'key ids must be unique'),
    ),
);

/** The service-keys secret, in either shape (a secret without key ids keeps working). */
export const serviceKeysSecretSchema = once(() =>
  z.union([keyringServiceKeysSchema(), legacyServiceKeysSchema()]),
);

export type LegacyServiceKeysSecret = z.infer<ReturnType<typeof legacyServiceKeysSchema>>;
export type ServiceKeysSecret = z.infer<ReturnType<typeof keyringServiceKeysSchema>>;

/** Keys derived from one key material; each purpose gets its own key. */
export type ServiceKey = Readonly<{
  keyId: string;
  /** AES-256-GCM key for tokens stored in the table. */
  tokenEncryptionKey: Buffer;
  /** HMAC-SHA256 key for hashing session ids and OAuth states before they are stored. */
  sessionKey: Buffer;
  /** The key of a secret without key ids: it may have made hashes and ciphertexts that name no key. */
  legacy: boolean;
}>;

/** Every key the service knows: `current` writes; all of them read. */
export type ServiceKeys = Readonly<{
  current: ServiceKey;
  /** Staged and retired keys, newest first: read only. */
  others: readonly ServiceKey[];
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

/** The App secret, validated as the signing mode wants it (with or without the PEM). */
export function parseAppCredentials(
  value: unknown,
  secretName: string,
  signing: AppKeySigning = 'secret',
): GitHubAppCredentials {
  return signing === 'kms'
    ? parseSecret(kmsGitHubAppCredentialsSchema(), value, secretName)
    : parseSecret(gitHubAppCredentialsSchema(), value, secretName);
}
