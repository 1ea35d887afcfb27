import { fromEnv } from '@aws-sdk/credential-provider-env';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { backoff, boundedPost, failureReason } from '../aws/bounded-post.js';

/**
 * Lambda's asynchronous Invoke, by hand: one signed POST. `@aws-sdk/client-lambda` cost ~120 KB in
 * every bundle that may ask for a sync (webhook, link-installation, repository-sync); this reuses what
 * those bundles already carry for DynamoDB (the SigV4 signer, the SDK's node:crypto SHA-256, the
 * environment credentials Lambda gives every function), so it costs a few hundred bytes.
 * Bounded like the DynamoDB client: a Lambda API that does not answer costs the caller seconds.
 */
const LIMITS = { connectionTimeoutMs: 1000, requestTimeoutMs: 2000 };
const MAX_ATTEMPTS = 3;
const BACKOFF_BASE_MS = 100;

/** A failed invocation. The message names the status and Lambda's error type, never a credential. */
export class LambdaInvokeError extends Error {
  override readonly name = 'LambdaInvokeError';
  constructor(
    message: string,
    readonly attempts: number,
    readonly status?: number,
    readonly errorType?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A failure worth another attempt (5xx, 429, network, timeout), as the SDK's standard retry sees it. */
class Transient extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly errorType?: string,
  ) {
    super(message);
  }
}

// Once per container, like the SDK clients. Lambda puts the role's credentials in the environment (the
// bundles' DynamoDB client reads them the same way: functions/shared/runtime/lambda-credentials.ts).
const credentials = fromEnv();
let signer: { region: string; v4: SignatureV4 } | undefined;

/**
 * An asynchronous invocation (InvocationType Event): Lambda queues the event (202) and runs the function
 * later, retrying it on failure, so the caller never waits for the work.
 * Endpoint: `AWS_ENDPOINT_URL_LAMBDA`, else `AWS_ENDPOINT_URL` (as the SDK honours them), else
 * `https://lambda.<AWS_REGION>.amazonaws.com`.
 */
export async function invokeAsync(functionName: string, payload: unknown): Promise<void> {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new LambdaInvokeError('Lambda Invoke: no AWS_REGION', 0);
  const endpoint = new URL(
    process.env.AWS_ENDPOINT_URL_LAMBDA ??
      process.env.AWS_ENDPOINT_URL ??
      `https://lambda.${region}.amazonaws.com`,
  );
  if (signer?.region !== region)
    signer = { region, v4: new SignatureV4({ service: 'lambda', region, credentials, sha256: Sha256 }) };
  const body = JSON.stringify(payload);
  // A name, a partial or a full ARN: one path segment (the signer escapes it again, as SigV4 wants).
  const path = `${endpoint.pathname.replace(/\/$/, '')}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;

  for (let attempt = 1; ; attempt++) {
    // Signed per attempt: X-Amz-Date is part of the signature.
    const signed = await signer.v4.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path,
      query: {},
      headers: {
        host: endpoint.host,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'x-amz-invocation-type': 'Event',
      },
      body,
    });
    try {
      const { status, headers } = await boundedPost(endpoint, path, signed.headers, body, LIMITS);
      // Lambda names the error in x-amzn-errortype (`ResourceNotFoundException:http://…`).
      const errorType = String(headers['x-amzn-errortype'] ?? '').split(':')[0] || undefined;
      if (status === 202) return;
      const failure = `Lambda Invoke of ${functionName} answered ${status}${errorType ? ` ${errorType}` : ''}`;
      if (status >= 500 || status === 429) throw new Transient(failure, status, errorType);
      throw new LambdaInvokeError(failure, attempt, status, errorType);
    } catch (error) {
      if (error instanceof LambdaInvokeError) throw error;
      const transient =
        error instanceof Transient
          ? error
          : new Transient(`Lambda Invoke of ${functionName}: ${failureReason(error)}`);
      if (attempt >= MAX_ATTEMPTS)
        throw new LambdaInvokeError(
          `${transient.message} (after ${attempt} attempts)`,
          attempt,
          transient.status,
          transient.errorType,
          { cause: error instanceof Transient ? undefined : error },
        );
      await backoff(attempt, BACKOFF_BASE_MS);
    }
  }
}
