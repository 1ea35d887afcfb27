import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Lambda's asynchronous Invoke, by hand: one signed POST. `@aws-sdk/client-lambda` cost ~120 KB in
 * every bundle that may ask for a sync (webhook, link-installation, repository-sync); this reuses what
 * those bundles already carry for DynamoDB (the SigV4 signer, the SDK's node:crypto SHA-256, the
 * environment credentials Lambda gives every function), so it costs a few hundred bytes.
 * Bounded like the DynamoDB client: a Lambda API that does not answer costs the caller seconds.
 */
const CONNECTION_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
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
      const { status, errorType } = await post(endpoint, path, signed.headers, body);
      if (status === 202) return;
      const failure = `Lambda Invoke of ${functionName} answered ${status}${errorType ? ` ${errorType}` : ''}`;
      if (status >= 500 || status === 429) throw new Transient(failure, status, errorType);
      throw new LambdaInvokeError(failure, attempt, status, errorType);
    } catch (error) {
      if (error instanceof LambdaInvokeError) throw error;
      const transient =
        error instanceof Transient
          ? error
          : new Transient(`Lambda Invoke of ${functionName}: ${reason(error)}`);
      if (attempt >= MAX_ATTEMPTS)
        throw new LambdaInvokeError(
          `${transient.message} (after ${attempt} attempts)`,
          attempt,
          transient.status,
          transient.errorType,
          { cause: error instanceof Transient ? undefined : error },
        );
      // Exponential backoff with full jitter, as the SDK's standard retry strategy.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * BACKOFF_BASE_MS * 2 ** attempt));
    }
  }
}

const reason = (error: unknown): string =>
  error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);

/** One POST within the bounds: connected within 1 s, answered in full within 2 s after that. */
function post(
  endpoint: URL,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; errorType: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = (endpoint.protocol === 'http:' ? httpRequest : httpsRequest)({
      method: 'POST',
      hostname: endpoint.hostname,
      port: endpoint.port || undefined,
      path,
      headers,
    });
    let timer = setTimeout(() => request.destroy(new Error('connection timeout')), CONNECTION_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    request.once('socket', (socket) => {
      const connected = () => {
        clearTimeout(timer);
        timer = setTimeout(() => request.destroy(new Error('request timeout')), REQUEST_TIMEOUT_MS);
      };
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    request.once('response', (response: IncomingMessage) => {
      // Lambda names the error in x-amzn-errortype (`ResourceNotFoundException:http://…`); the body is
      // not read: the type says enough and the caller only logs it.
      const errorType = String(response.headers['x-amzn-errortype'] ?? '').split(':')[0] || undefined;
      response.once('error', fail);
      // Cut off mid-answer (the timer above, a reset): no-op once 'end' settled the promise.
      response.once('close', () => fail(new Error('response aborted')));
      response.once('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, errorType });
      });
      response.resume();
    });
    request.once('error', fail);
    request.end(body);
  });
}
