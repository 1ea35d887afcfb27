/**
 * The hand-written asynchronous Lambda Invoke (functions/shared/repositories/lambda-invoke.ts) against a
 * real local HTTP server standing in for the Lambda API: the request it sends (checked with an
 * independent SigV4 verifier written on node:crypto), its retries, its error and its timeout.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invokeAsync, LambdaInvokeError } from '../../functions/shared/repositories/lambda-invoke.js';
import { requestRepositorySync } from '../../functions/shared/repositories/request-sync.js';

const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIDLAMBDAINVOKETEST',
  AWS_SECRET_ACCESS_KEY: 'lambda-invoke-test-secret-key/do-not-leak',
  AWS_SESSION_TOKEN: 'lambda-invoke-test-session-token',
};
const REGION = 'eu-west-3';

type Received = { method: string; url: string; headers: IncomingMessage['headers']; body: string };
/** What the stand-in Lambda API does with the next request (the last one repeats). */
type Behaviour = (req: IncomingMessage, res: ServerResponse) => void;

const accepted: Behaviour = (_, res) => res.writeHead(202, { 'x-amzn-requestid': 'r' }).end();
const failing =
  (status: number, errorType: string): Behaviour =>
  (_, res) =>
    res
      .writeHead(status, {
        'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/`,
        'content-type': 'application/json',
      })
      .end(JSON.stringify({ Type: 'Service', message: `details of ${errorType}` }));
const reset: Behaviour = (req) => req.socket.destroy();
const frozen: Behaviour = () => undefined;

let server: Server;
let received: Received[] = [];
let behaviours: Behaviour[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const behaviour = behaviours.length > 1 ? behaviours.shift() : behaviours[0];
      (behaviour ?? accepted)(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, CREDENTIALS, {
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
  delete process.env.REPOSITORY_SYNC_FUNCTION;
});

beforeEach(() => {
  received = [];
  behaviours = [accepted];
});

afterAll(async () => {
  process.env = saved;
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Recomputes the request's SigV4 signature from what the server received (AWS's documented steps). */
function verifySigV4(
  request: Received,
  secret: string,
): { valid: boolean; scope: string[]; signed: string[] } {
  const authorization = String(request.headers.authorization);
  const match = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    authorization,
  );
  if (!match) throw new Error(`Not a SigV4 Authorization header: ${authorization}`);
  const [, credential = '', signedList = '', signature] = match;
  const scope = credential.split('/');
  const signed = signedList.split(';');
  const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
  // Every segment escaped again (SigV4 for every service but S3); RFC 3986 unreserved characters stay.
  const rfc3986 = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalUri = (request.url.split('?')[0] ?? '').split('/').map(rfc3986).join('/');
  const canonicalRequest = [
    request.method,
    canonicalUri,
    '',
    ...signed.map((name) => `${name}:${String(request.headers[name]).trim().replace(/\s+/g, ' ')}`),
    '',
    signedList,
    sha256(request.body),
  ].join('\n');
  const amzDate = String(request.headers['x-amz-date']);
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope.slice(1).join('/'), sha256(canonicalRequest)].join(
    '\n',
  );
  let key: Buffer = Buffer.from(`AWS4${secret}`);
  for (const part of scope.slice(1)) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return { valid: expected === signature, scope, signed };
}

it('sends one signed asynchronous Invoke: path, method, invocation type, payload', async () => {
  await invokeAsync('stack-RepositorySync-AbC123', { installationId: 7, reason: 'installed' });

  expect(received).toHaveLength(1);
  const [request] = received as [Received];
  expect(request.method).toBe('POST');
  expect(request.url).toBe('/2015-03-31/functions/stack-RepositorySync-AbC123/invocations');
  expect(request.headers['x-amz-invocation-type']).toBe('Event');
  expect(request.headers['content-type']).toBe('application/json');
  expect(JSON.parse(request.body)).toEqual({ installationId: 7, reason: 'installed' });
  expect(request.headers['x-amz-security-token']).toBe(CREDENTIALS.AWS_SESSION_TOKEN);

  const { valid, scope, signed } = verifySigV4(request, CREDENTIALS.AWS_SECRET_ACCESS_KEY);
  expect(valid).toBe(true);
  expect(verifySigV4(request, 'another-secret').valid).toBe(false);
  const day = String(request.headers['x-amz-date']).slice(0, 8);
  expect(scope).toEqual([CREDENTIALS.AWS_ACCESS_KEY_ID, day, REGION, 'lambda', 'aws4_request']);
  // The invocation type and the session token are under the signature, not beside it.
  expect(signed).toEqual(
    expect.arrayContaining(['host', 'x-amz-date', 'x-amz-invocation-type', 'x-amz-security-token']),
  );
  expect(JSON.stringify(request.headers)).not.toContain(CREDENTIALS.AWS_SECRET_ACCESS_KEY);
});

it('names a function by its ARN in one escaped path segment, and the signature still verifies', async () => {
  const arn = 'arn:aws:lambda:eu-west-3:123456789012:function:repository-sync';
  await invokeAsync(arn, { installationId: 8, reason: 'schedule' });

  const [request] = received as [Received];
  expect(request.url).toBe(`/2015-03-31/functions/${encodeURIComponent(arn)}/invocations`);
  expect(decodeURIComponent(request.url.split('/')[3] ?? '')).toBe(arn);
  expect(verifySigV4(request, CREDENTIALS.AWS_SECRET_ACCESS_KEY).valid).toBe(true);
});

it('honours AWS_ENDPOINT_URL when no Lambda-specific endpoint is set', async () => {
  const lambdaEndpoint = process.env.AWS_ENDPOINT_URL_LAMBDA;
  process.env.AWS_ENDPOINT_URL = lambdaEndpoint;
  delete process.env.AWS_ENDPOINT_URL_LAMBDA;
  try {
    await invokeAsync('fn', { installationId: 9, reason: 'linked' });
  } finally {
    process.env.AWS_ENDPOINT_URL_LAMBDA = lambdaEndpoint;
    delete process.env.AWS_ENDPOINT_URL;
  }
  expect(received).toHaveLength(1);
});

it('retries a 500 and succeeds on the next attempt', async () => {
  behaviours = [failing(500, 'ServiceException'), accepted];
  await invokeAsync('fn', { installationId: 1, reason: 'linked' });
  expect(received).toHaveLength(2);
  // Each attempt is signed afresh and carries the same event.
  expect(received.map((r): unknown => JSON.parse(r.body))).toEqual([
    { installationId: 1, reason: 'linked' },
    { installationId: 1, reason: 'linked' },
  ]);
  expect(received.every((r) => verifySigV4(r, CREDENTIALS.AWS_SECRET_ACCESS_KEY).valid)).toBe(true);
});

it('retries a throttle (429) and a connection reset', async () => {
  behaviours = [failing(429, 'TooManyRequestsException'), reset, accepted];
  await invokeAsync('fn', { installationId: 2, reason: 'linked' });
  expect(received).toHaveLength(3);
});

it('gives up after 3 attempts with an error naming the status and the error type, and no secret', async () => {
  behaviours = [failing(500, 'ServiceException')];
  const error = await invokeAsync('fn', { installationId: 3, reason: 'linked' }).catch((e: unknown) => e);

  expect(received).toHaveLength(3);
  expect(error).toBeInstanceOf(LambdaInvokeError);
  expect(error).toMatchObject({ status: 500, errorType: 'ServiceException', attempts: 3 });
  expect((error as Error).message).toBe(
    'Lambda Invoke of fn answered 500 ServiceException (after 3 attempts)',
  );
  const everything = JSON.stringify({ ...(error as object), message: (error as Error).message });
  for (const secret of Object.values(CREDENTIALS)) expect(everything).not.toContain(secret);
});

it('does not retry a client error (403 AccessDeniedException)', async () => {
  behaviours = [failing(403, 'AccessDeniedException')];
  await expect(invokeAsync('fn', { installationId: 4, reason: 'linked' })).rejects.toMatchObject({
    name: 'LambdaInvokeError',
    status: 403,
    errorType: 'AccessDeniedException',
    attempts: 1,
  });
  expect(received).toHaveLength(1);
});

it('times out a server that never answers, 3 times, then fails', async () => {
  behaviours = [frozen];
  const error = await invokeAsync('fn', { installationId: 5, reason: 'linked' }).catch((e: unknown) => e);
  expect(received).toHaveLength(3);
  expect(error).toBeInstanceOf(LambdaInvokeError);
  expect((error as Error).message).toBe('Lambda Invoke of fn: request timeout (after 3 attempts)');
  expect(error).toMatchObject({ attempts: 3, status: undefined });
}, 30_000);

it('requestRepositorySync invokes REPOSITORY_SYNC_FUNCTION, and a failed invoke never throws', async () => {
  process.env.REPOSITORY_SYNC_FUNCTION = 'stack-RepositorySync';
  try {
    await requestRepositorySync(42, 'linked');
    behaviours = [failing(404, 'ResourceNotFoundException')];
    await expect(requestRepositorySync(43, 'installed')).resolves.toBeUndefined();
  } finally {
    delete process.env.REPOSITORY_SYNC_FUNCTION;
  }
  expect(received.map((r): unknown[] => [r.url, JSON.parse(r.body)])).toEqual([
    ['/2015-03-31/functions/stack-RepositorySync/invocations', { installationId: 42, reason: 'linked' }],
    ['/2015-03-31/functions/stack-RepositorySync/invocations', { installationId: 43, reason: 'installed' }],
  ]);
});
