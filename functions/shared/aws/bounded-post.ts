import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * One POST to an AWS JSON API called by hand (Lambda Invoke, KMS Sign: functions/shared/repositories/
 * lambda-invoke.ts, functions/shared/app-key/kms-client.ts), bounded like the DynamoDB client: a service
 * that does not connect, or answers slowly, costs the caller seconds, never minutes.
 */
export type BoundedPostLimits = { connectionTimeoutMs: number; requestTimeoutMs: number };

export type PostAnswer = { status: number; headers: IncomingHttpHeaders; body: string };

/** Connected within `connectionTimeoutMs`, answered in full within `requestTimeoutMs` after that. */
export function boundedPost(
  endpoint: URL,
  path: string,
  headers: Record<string, string>,
  body: string,
  limits: BoundedPostLimits,
): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const request = (endpoint.protocol === 'http:' ? httpRequest : httpsRequest)({
      method: 'POST',
      hostname: endpoint.hostname,
      port: endpoint.port || undefined,
      path,
      headers,
    });
    let timer = setTimeout(
      () => request.destroy(new Error('connection timeout')),
      limits.connectionTimeoutMs,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    request.once('socket', (socket) => {
      const connected = () => {
        clearTimeout(timer);
        timer = setTimeout(() => request.destroy(new Error('request timeout')), limits.requestTimeoutMs);
      };
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    request.once('response', (response: IncomingMessage) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.once('error', fail);
      // Cut off mid-answer (the timer above, a reset): a no-op once 'end' settled the promise.
      response.once('close', () => fail(new Error('response aborted')));
      response.once('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text });
      });
    });
    request.once('error', fail);
    request.end(body);
  });
}

/** A network failure in a few words (the errno code when there is one), never a header or a body. */
export const failureReason = (error: unknown): string =>
  error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);

/** Exponential backoff with full jitter, as the SDK's standard retry strategy waits. */
export const backoff = (attempt: number, baseMs: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * baseMs * 2 ** attempt));
