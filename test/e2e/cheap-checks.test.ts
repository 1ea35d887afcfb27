import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resetConfigForTests } from '../../functions/shared/config.js';
import { resetServicesForTests } from '../../functions/shared/services.js';
import { ROUTES } from '../../functions/shared/service-routes.js';
import { startService, type ServiceFixture } from '../support/service.js';

/**
 * Secrets Manager unreachable: a stand-in endpoint that counts what reaches it and cuts every
 * connection. Requests that carry no credentials (no session, no GitHub headers) must be refused by
 * cheap checks alone, without reading a secret.
 */
let fx: ServiceFixture;
let secretsManager: Server;
let secretReads = 0;
const saved: Record<string, string | undefined> = {};
const AWS_ENV = {
  LOCAL_SECRETS_FILE: undefined,
  GITHUB_APP_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf',
  WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf',
  SERVICE_KEYS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_MAX_ATTEMPTS: '1',
};

beforeAll(async () => {
  fx = await startService();
  secretsManager = createServer((req) => {
    secretReads++;
    req.socket.destroy();
  });
  await new Promise<void>((resolve) => secretsManager.listen(0, '127.0.0.1', resolve));
  const { port } = secretsManager.address() as AddressInfo;
  const env: Record<string, string | undefined> = {
    ...AWS_ENV,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${port}`,
  };
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetConfigForTests();
  resetServicesForTests();
});

afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetConfigForTests();
  resetServicesForTests();
  if (secretsManager) await new Promise<void>((resolve) => secretsManager.close(() => resolve()));
  await fx?.close();
});

beforeEach(() => {
  secretReads = 0;
});

const call = (method: string, path: string, init: RequestInit = {}) =>
  fetch(`${fx.api.url}${path}`, { method, redirect: 'manual', ...init });

it('a well-formed session is checked against the secret (so the stand-in is really in the way)', async () => {
  const response = await call('GET', '/me', {
    headers: { authorization: `Bearer ${'a'.repeat(43)}` },
  });
  expect(response.status).toBeGreaterThanOrEqual(500);
  expect(secretReads).toBeGreaterThan(0);
});

/** Every route but the public ones (health, the sign-in flow, GitHub's webhook) checks a session. */
const PUBLIC = new Set(['/health', '/auth/login', '/auth/callback', '/webhooks/github']);
const SESSION_ROUTES = ROUTES.filter((route) => !PUBLIC.has(route.path) && route.auth !== 'iam').map(
  (route) => [
    route.method,
    route.path.replace('{accountId}', 'acc_0123456789abcdef').replace(/\{[A-Za-z]+\}/g, '1'),
  ],
);

it('covers every session-checked route', () => {
  expect(SESSION_ROUTES.length).toBeGreaterThanOrEqual(20);
});

it.each(SESSION_ROUTES)('%s %s without a session is 401 without reading a secret', async (method, path) => {
  const response = await call(method, path, {
    headers: { 'content-type': 'application/json', origin: 'http://app.test' },
    ...(method === 'GET' ? {} : { body: '{}' }),
  });
  expect(response.status).toBe(401);
  expect(await response.json()).toMatchObject({ error: 'unauthenticated' });
  expect(secretReads).toBe(0);
});

// The IAM-authorized service routes (token vending): API Gateway's authorizer, or the local server's
// SigV4 check, refuses an unsigned request before the function runs.
it.each(
  ROUTES.filter((route) => route.auth === 'iam').map((route) => [
    route.method,
    route.path.replace('{accountId}', 'acc_0123456789abcdef'),
  ]),
)('%s %s without a SigV4 signature is 403 without reading a secret', async (method, path) => {
  const response = await call(method, path, { headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(response.status).toBe(403);
  expect(await response.json()).toMatchObject({ error: 'missing_authentication' });
  expect(secretReads).toBe(0);
});

it('a malformed session is 401 without reading a secret', async () => {
  const response = await call('GET', '/me', { headers: { cookie: 'session=not-a-session' } });
  expect(response.status).toBe(401);
  expect(await response.json()).toMatchObject({ error: 'invalid_session' });
  expect(secretReads).toBe(0);
});

it("a webhook without GitHub's headers is 400 without reading a secret", async () => {
  const response = await call('POST', '/webhooks/github', {
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(response.status).toBe(400);
  expect(await response.json()).toMatchObject({ error: 'missing_headers' });
  expect(secretReads).toBe(0);
});
