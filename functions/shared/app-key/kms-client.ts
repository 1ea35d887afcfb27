import { fromEnv } from '@aws-sdk/credential-provider-env';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { backoff, boundedPost, failureReason } from '../aws/bounded-post.js';

/**
 * KMS's JSON protocol, by hand: one SigV4-signed POST per call (`X-Amz-Target: TrentService.<Action>`).
 * As functions/shared/repositories/lambda-invoke.ts does for Lambda: `@aws-sdk/client-kms` would add
 * ~100 KB to every token-minting bundle for one call (Sign), while these bundles already carry the
 * SigV4 signer, the SDK's SHA-256 and the environment credentials for DynamoDB.
 * Bounded like the DynamoDB client: a KMS that does not answer costs the caller seconds, not minutes.
 */
const LIMITS = { connectionTimeoutMs: 1000, requestTimeoutMs: 3000 };
const MAX_ATTEMPTS = 3;
const BACKOFF_BASE_MS = 100;
/** Errors KMS asks to retry (with 5xx and network failures), as the SDK's standard retry sees them. */
const RETRYABLE = new Set(['ThrottlingException', 'KMSInternalException', 'DependencyTimeoutException']);

/** A refused or failed call. The message names KMS's error type and message, never key material. */
export class KmsError extends Error {
  override readonly name = 'KmsError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type KmsClientOptions = {
  region: string;
  /** Else AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL (as the SDK honours them), else KMS's regional endpoint. */
  endpoint?: string | undefined;
  /** Else the environment's credentials (Lambda puts the role's there). */
  credentials?: AwsCredentialIdentityProvider;
  env?: Record<string, string | undefined>;
};

export type KmsClient = {
  readonly endpoint: URL;
  /** One KMS action with its JSON input; resolves to its JSON output. */
  call<T>(action: string, input: Record<string, unknown>): Promise<T>;
};

export function createKmsClient(options: KmsClientOptions): KmsClient {
  const env = options.env ?? process.env;
  const endpoint = new URL(
    options.endpoint ??
      env.AWS_ENDPOINT_URL_KMS ??
      env.AWS_ENDPOINT_URL ??
      `https://kms.${options.region}.amazonaws.com`,
  );
  const signer = new SignatureV4({
    service: 'kms',
    region: options.region,
    credentials: options.credentials ?? fromEnv(),
    sha256: Sha256,
  });
  const path = endpoint.pathname || '/';

  async function call<T>(action: string, input: Record<string, unknown>): Promise<T> {
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      // Signed per attempt: X-Amz-Date is part of the signature.
      const signed = await signer.sign({
        method: 'POST',
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
        path,
        query: {},
        headers: {
          host: endpoint.host,
          'content-type': 'application/x-amz-json-1.1',
          'content-length': String(Buffer.byteLength(body)),
          'x-amz-target': `TrentService.${action}`,
        },
        body,
      });
      const answer = await boundedPost(endpoint, path, signed.headers, body, LIMITS).catch(
        (error: unknown) =>
          new KmsError(`KMS ${action}: ${failureReason(error)}`, undefined, undefined, { cause: error }),
      );
      let failure = answer instanceof KmsError ? answer : undefined;
      if (!(answer instanceof KmsError)) {
        if (answer.status === 200) return JSON.parse(answer.body || '{}') as T;
        const { code, message } = errorOf(answer.body);
        failure = new KmsError(
          `KMS ${action} answered ${answer.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`,
          code,
          answer.status,
        );
        const retryable = answer.status >= 500 || answer.status === 429 || RETRYABLE.has(code ?? '');
        if (!retryable) throw failure;
      }
      if (attempt >= MAX_ATTEMPTS)
        throw new KmsError(
          `${failure?.message} (after ${attempt} attempts)`,
          failure?.code,
          failure?.status,
          {
            cause: failure?.cause,
          },
        );
      await backoff(attempt, BACKOFF_BASE_MS);
    }
  }

  return { endpoint, call };
}

/** KMS names the error in `__type` (`NotFoundException`, or `com.amazonaws.kms#NotFoundException`). */
function errorOf(body: string): { code: string | undefined; message: string | undefined } {
  try {
    const parsed = JSON.parse(body) as { __type?: unknown; message?: unknown; Message?: unknown };
    const type = typeof parsed.__type === 'string' ? parsed.__type.split('#').pop() : undefined;
    const message = parsed.message ?? parsed.Message;
    return { code: type, message: typeof message === 'string' ? message.slice(0, 300) : undefined };
  } catch {
    return { code: undefined, message: undefined };
  }
}
