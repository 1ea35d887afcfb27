import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { signRequest, type SigningOptions } from '../../examples/token-vending-client.js';
import { startLocalApiServer, type LocalApiServer } from '../../local/api-server.js';
import { newServiceCredential } from '../../local/local-secrets.js';
import type { RouteSpec } from '../../functions/shared/service-routes.js';

/*
 * The local stand-in for API Gateway's IAM authorizer (local/sigv4-auth.ts), through the local API
 * server over real HTTP: requests signed by the AWS SDK's signer pass with the caller's identity in
 * `requestContext.authorizer.iam`; every tampered, stale, foreign or unsigned request is 403 and never
 * reaches the function. The function behind the routes is a boundary here: it echoes what it was given.
 */

const builder = newServiceCredential('arn:aws:iam::123456789012:role/path/builder');
const other = newServiceCredential('arn:aws:iam::123456789012:role/deployer');
const ROUTES: RouteSpec[] = [
  { method: 'POST', path: '/service/echo', fn: 'token-vending', auth: 'iam' },
  { method: 'GET', path: '/service/echo', fn: 'token-vending', auth: 'iam' },
  { method: 'GET', path: '/open', fn: 'health' },
];

let api: LocalApiServer;
const invocations: APIGatewayProxyEventV2[] = [];

beforeAll(async () => {
  api = await startLocalApiServer({
    port: 0,
    frontendOrigins: [],
    routes: ROUTES,
    serviceCredentials: [builder, other],
    region: 'us-east-1',
    guardAccess: false,
    loadHandler: () =>
      Promise.resolve({
        handler: (event: APIGatewayProxyEventV2) => {
          invocations.push(event);
          const { authorizer } = event.requestContext as { authorizer?: unknown };
          return Promise.resolve({
            statusCode: 200,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ authorizer: authorizer ?? null, body: event.body ?? null }),
          });
        },
      }),
  });
});
afterAll(() => api?.close());
beforeEach(() => {
  invocations.length = 0;
});

const signing = (overrides: Partial<SigningOptions> = {}): SigningOptions => ({
  credentials: { accessKeyId: builder.accessKeyId, secretAccessKey: builder.secretAccessKey },
  region: 'us-east-1',
  ...overrides,
});
const BODY = JSON.stringify({ repositories: ['octo-org/app-one'], permissions: { contents: 'read' } });

/** Signs `signed`, then sends `sent` (by default the same): a client, or an attacker altering it. */
async function send(
  signed: { method?: string; path?: string; body?: string; headers?: Record<string, string> },
  options: SigningOptions = signing(),
  sent: {
    path?: string;
    body?: string;
    headers?: (signedHeaders: Record<string, string>) => Record<string, string>;
  } = {},
) {
  const method = signed.method ?? 'POST';
  const body = method === 'GET' ? undefined : (signed.body ?? BODY);
  const headers = await signRequest(
    `${api.url}${signed.path ?? '/service/echo'}`,
    {
      method,
      ...(body === undefined ? {} : { body }),
      ...(signed.headers ? { headers: signed.headers } : {}),
    },
    options,
  );
  const response = await fetch(`${api.url}${sent.path ?? signed.path ?? '/service/echo'}`, {
    method,
    headers: sent.headers ? sent.headers(headers) : headers,
    ...(body === undefined ? {} : { body: sent.body ?? body }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('SigV4 on IAM-authorized routes (npm start, startService)', () => {
  it('admits a request the AWS SDK signed, handing the function the caller as API Gateway’s IAM authorizer does', async () => {
    const answer = await send({});
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      body: BODY,
      authorizer: {
        iam: {
          accessKey: builder.accessKeyId,
          accountId: '123456789012',
          callerId: expect.stringMatching(/^AROA[A-Z0-9]+:local-sigv4$/) as string,
          cognitoIdentity: null,
          principalOrgId: null,
          // STS drops the role's path from the assumed-role ARN.
          userArn: 'arn:aws:sts::123456789012:assumed-role/builder/local-sigv4',
          userId: expect.stringMatching(/^AROA[A-Z0-9]+:local-sigv4$/) as string,
        },
      },
    });
    // Another key is another caller; a query string is signed too.
    const asOther = await send(
      { method: 'GET', path: '/service/echo?a=1&b=two%20words' },
      signing({ credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } }),
    );
    expect(asOther.status).toBe(200);
    expect(asOther.body.authorizer).toMatchObject({
      iam: { userArn: 'arn:aws:sts::123456789012:assumed-role/deployer/local-sigv4' },
    });
    expect(invocations).toHaveLength(2);
  });

  it('admits a request signed up to 5 minutes ago, or ahead', async () => {
    for (const offsetMs of [-4 * 60_000, 4 * 60_000])
      expect((await send({}, signing({ signingDate: new Date(Date.now() + offsetMs) }))).status).toBe(200);
  });

  it.each([
    [
      'without a signature',
      'missing_authentication',
      () => send({}, signing(), { headers: () => ({ 'content-type': 'application/json' }) }),
    ],
    [
      'signed by an unknown access key',
      'unknown_access_key',
      () =>
        send(
          {},
          signing({
            credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: builder.secretAccessKey },
          }),
        ),
    ],
    [
      'with a wrong secret (a wrong signature)',
      'invalid_signature',
      () =>
        send(
          {},
          signing({
            credentials: { accessKeyId: builder.accessKeyId, secretAccessKey: other.secretAccessKey },
          }),
        ),
    ],
    [
      'signed more than 5 minutes ago',
      'signature_expired',
      () => send({}, signing({ signingDate: new Date(Date.now() - 6 * 60_000) })),
    ],
    [
      'signed more than 5 minutes ahead',
      'signature_expired',
      () => send({}, signing({ signingDate: new Date(Date.now() + 6 * 60_000) })),
    ],
    ['signed for another region', 'invalid_signature', () => send({}, signing({ region: 'eu-west-1' }))],
    [
      'whose body changed after signing (its signed SHA-256 kept)',
      'invalid_signature',
      () => send({}, signing(), { body: BODY.replace('app-one', 'app-two') }),
    ],
    [
      'whose body changed after signing (its SHA-256 header dropped)',
      'invalid_signature',
      () =>
        send({}, signing(), {
          body: BODY.replace('app-one', 'app-two'),
          headers: ({ 'x-amz-content-sha256': _dropped, ...rest }) => rest,
        }),
    ],
    [
      'claiming an unsigned payload',
      'invalid_signature',
      () =>
        send({}, signing(), {
          headers: (headers) => ({ ...headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }),
        }),
    ],
    [
      'sent to another path than the one signed',
      'invalid_signature',
      () => send({ method: 'GET', path: '/service/echo?a=1' }, signing(), { path: '/service/echo?a=2' }),
    ],
    [
      'with a signed header changed',
      'invalid_signature',
      () =>
        send({ headers: { 'x-purpose': 'build' } }, signing(), {
          headers: (headers) => ({ ...headers, 'x-purpose': 'deploy' }),
        }),
    ],
    [
      'with a date header changed after signing',
      'invalid_signature',
      () =>
        send({}, signing(), {
          headers: (headers) => ({
            ...headers,
            'x-amz-date': new Date(Date.now() - 60_000).toISOString().replace(/[-:]|\.\d{3}/g, ''),
          }),
        }),
    ],
  ])('refuses a request %s: 403 %s, and never invokes the function', async (_case, error, run) => {
    const answer = await run();
    expect(answer).toEqual({ status: 403, body: { error, message: expect.any(String) as string } });
    expect(invocations).toHaveLength(0);
  });

  it('checks the body itself when the client did not sign its SHA-256 as a header', async () => {
    // A client whose signer leaves out x-amz-content-sha256 (applyChecksum: false): the payload hash in
    // the signature is the body's own, so the verifier must hash what it received.
    const signer = new SignatureV4({
      service: 'execute-api',
      region: 'us-east-1',
      credentials: { accessKeyId: builder.accessKeyId, secretAccessKey: builder.secretAccessKey },
      sha256: Sha256,
      applyChecksum: false,
    });
    const url = new URL(`${api.url}/service/echo`);
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': 'application/json' },
      body: BODY,
    });
    const { host: _host, ...headers } = signed.headers;
    expect(Object.keys(headers)).not.toContain('x-amz-content-sha256');
    const post = (body: string) => fetch(url, { method: 'POST', headers, body });
    expect((await post(BODY)).status).toBe(200);
    const altered = await post(BODY.replace('read', 'write'));
    expect(altered.status).toBe(403);
    expect(await altered.json()).toMatchObject({ error: 'invalid_signature' });
    expect(invocations).toHaveLength(1);
  });

  it('leaves routes that are not IAM-authorized to their function (no signature asked)', async () => {
    const response = await fetch(`${api.url}/open`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { authorizer: unknown }).authorizer).toBeNull();
  });
});
