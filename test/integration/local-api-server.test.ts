import { startLocalApiServer, type LocalApiServer } from '../../local/api-server.js';
import { ROUTES, routeKey } from '../../functions/shared/service-routes.js';
import { startService, type ServiceFixture } from '../support/service.js';

let fx: ServiceFixture;
let api: LocalApiServer;

beforeAll(async () => {
  fx = await startService();
  api = fx.api;
});
afterAll(() => fx?.close());

describe('local API server', () => {
  it('answers GET /health through the real handler', async () => {
    const response = await fetch(`${api.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('strict-transport-security')).toContain('max-age');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it.each(ROUTES.filter((route) => route.fn !== 'health').map((route) => [routeKey(route), route] as const))(
    '%s reaches its function, which answers it (a typed 4xx without a session or input, or a redirect; an IAM route its signature check’s 403)',
    async (_key, route) => {
      const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
        name === 'accountId' ? 'acct' : '42',
      );
      const response = await fetch(`${api.url}${path}`, {
        method: route.method,
        headers: { 'content-type': 'application/json' },
        ...(route.method === 'POST' || route.method === 'PUT' ? { body: '{}' } : {}),
        redirect: 'manual',
      });
      expect(route.auth === 'iam' ? [403] : [302, 400, 401]).toContain(response.status);
      if (response.status !== 302) {
        expect(await response.json()).toEqual({
          error: expect.any(String) as string,
          message: expect.any(String) as string,
        });
      }
    },
  );

  it('answers unknown paths 404 not_found in the contract shape, as the $default route does in AWS', async () => {
    for (const path of ['/nope', '/accounts/a/b/c', '/']) {
      const response = await fetch(`${api.url}${path}`, { method: 'POST' });
      expect([path, response.status]).toEqual([path, 404]);
      expect(await response.json()).toEqual({ error: 'not_found', message: expect.any(String) as string });
    }
  });

  it('answers a known path with another method 405 method_not_allowed, with Allow', async () => {
    const cases = [
      ['POST', '/health', 'GET'],
      ['PUT', '/accounts/acct', 'GET, PATCH, DELETE'],
      ['GET', '/webhooks/github', 'POST'],
      ['POST', '/accounts/acct/installations/new', 'GET, PUT, PATCH, DELETE'],
    ] as const;
    for (const [method, path, allow] of cases) {
      const response = await fetch(`${api.url}${path}`, { method });
      expect([method, path, response.status, response.headers.get('allow')]).toEqual([
        method,
        path,
        405,
        allow,
      ]);
      expect(await response.json()).toEqual({
        error: 'method_not_allowed',
        message: expect.any(String) as string,
      });
    }
  });

  it('answers CORS preflights for configured origins only, with credentials', async () => {
    const allowed = await fetch(`${api.url}/accounts`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.test', 'access-control-request-method': 'POST' },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://app.test');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');

    const denied = await fetch(`${api.url}/accounts`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses bodies over the payload limit with 413', async () => {
    const small = await startLocalApiServer({ port: 0, frontendOrigins: [], maxBodyBytes: 10 });
    try {
      const response = await fetch(`${small.url}/accounts`, { method: 'POST', body: 'x'.repeat(11) });
      expect(response.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it("refuses a body over Lambda's 6 MB request limit by default, as Lambda would, and takes one just under", async () => {
    const limit = 6 * 1024 * 1024;
    const over = await fetch(`${api.url}/webhooks/github`, { method: 'POST', body: 'x'.repeat(limit + 1) });
    expect(over.status).toBe(413);
    const under = await fetch(`${api.url}/webhooks/github`, {
      method: 'POST',
      body: 'x'.repeat(limit - 1024),
    });
    expect(under.status).toBe(400); // reached the handler: no GitHub headers
  });
});
