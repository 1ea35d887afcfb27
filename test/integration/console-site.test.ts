import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConsoleSync } from '../../lib/console/build.js';
import { startService, type ServiceFixture } from '../support/service.js';

/**
 * How npm start serves the console under /console/: the behaviour CloudFront's /console/* behaviour
 * must also have (the same viewer-request function decides both). Raw paths go over node:http, since
 * fetch() would resolve `..` before sending.
 */
type Raw = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

function raw(base: string, path: string, method = 'GET', host?: string): Promise<Raw> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const headers = host ? { host } : {};
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

let fx: ServiceFixture;
let work: string;
let dist: string;
let script: string;
let stylesheet: string;

beforeAll(async () => {
  // <work>/console is the build; <work>/secret.txt and <work>/console-evil/ sit beside it, to be unreachable.
  work = mkdtempSync(join(tmpdir(), 'console-site-'));
  dist = join(work, 'console');
  buildConsoleSync(dist);
  writeFileSync(join(work, 'secret.txt'), 'outside the console');
  mkdirSync(join(work, 'console-evil'));
  writeFileSync(join(work, 'console-evil', 'x.txt'), 'outside the console');
  const assets = readdirSync(join(dist, 'assets'));
  script = assets.find((name) => name.endsWith('.js')) ?? '';
  stylesheet = assets.find((name) => name.endsWith('.css')) ?? '';
  fx = await startService({ consoleDir: dist });
}, 120_000);

afterAll(async () => {
  await fx?.close();
  rmSync(work, { recursive: true, force: true });
});

const indexHtml = () => readFileSync(join(dist, 'index.html'), 'utf8');

describe('the console under /console/ (npm start, as CloudFront serves it)', () => {
  it('redirects /console to /console/ (relative asset URLs need the slash)', async () => {
    const answer = await raw(fx.api.url, '/console');
    expect(answer.status).toBe(301);
    expect(answer.headers.location).toBe('/console/');
  });

  it.each([
    '/console/',
    '/console/index.html',
    '/console/accounts/x/members',
    '/console/accounts/new',
    '/console/invitations?from=mail',
    // A file preview's deep link ends in the file's name: still a screen, not an asset.
    '/console/accounts/acct-1/repositories/octo-org/web-app/README.md',
    '/console/accounts/acct-1/repositories/octo-org/web-app/src/main.js',
  ])('answers %s with index.html, never cached', async (path) => {
    const answer = await raw(fx.api.url, path);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(answer.body).toBe(indexHtml());
  });

  it('serves the hashed assets immutable for a year, with their types', async () => {
    expect(indexHtml()).toContain(`/console/assets/${script}`);
    const js = await raw(fx.api.url, `/console/assets/${script}`);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe(readFileSync(join(dist, 'assets', script), 'utf8'));
    const css = await raw(fx.api.url, `/console/assets/${stylesheet}`);
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('sends the console security headers (the CloudFront response headers policy alike)', async () => {
    for (const path of ['/console/', `/console/assets/${script}`]) {
      const answer = await raw(fx.api.url, path);
      expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
      expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['referrer-policy']).toBe('same-origin');
    }
  });

  it.each(['/console/assets/index-missing0.js', '/console/assets/gone/deeper.css', '/console/favicon.ico'])(
    'answers a missing asset %s with 404, not index.html',
    async (path) => {
      const answer = await raw(fx.api.url, path);
      expect(answer.status).toBe(404);
      expect(answer.body).not.toContain('<div id="app">');
    },
  );

  it.each([
    '/console/../package.json',
    '/console/%2e%2e/package.json',
    '/console/..%2fpackage.json',
    '/console/%2e%2e%2fpackage.json',
    '/console/%2E%2E%2F%2E%2E%2Fpackage.json',
    '/console/assets/..%2f..%2fsecret.txt',
    '/console/..%2fsecret.txt',
    '/console/..%5csecret.txt',
    '/console/%252e%252e%252fsecret.txt',
    '/console/..%2fconsole-evil%2fx.txt',
    '/console/assets/%2e%2e/%2e%2e/secret.txt',
    '/console//..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/console/%00../secret.txt',
  ])('never leaves the console folder: %s', async (path) => {
    const answer = await raw(fx.api.url, path);
    expect(answer.body).not.toContain('outside the console');
    expect(answer.body).not.toContain('github-app-multi-account');
    expect(answer.body).not.toContain('root:');
    expect([200, 400, 404]).toContain(answer.status);
    // A 200 is only ever the console's own index.html (a deep link), nothing else.
    if (answer.status === 200) expect(answer.body).toBe(indexHtml());
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('refuses %s with 405 and Allow: GET, HEAD', async (method) => {
    for (const path of ['/console/', '/console/accounts/x', `/console/assets/${script}`]) {
      const answer = await raw(fx.api.url, path, method);
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD');
    }
  });

  it('answers HEAD like GET, without a body', async () => {
    const answer = await raw(fx.api.url, '/console/accounts/x', 'HEAD');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.body).toBe('');
  });

  it('opens the console at / (where sign-in and the install flow return by default)', async () => {
    for (const method of ['GET', 'HEAD']) {
      const answer = await raw(fx.api.url, '/', method);
      expect(answer.status).toBe(302);
      expect(answer.headers.location).toBe(`${fx.api.url}/console/`);
    }
    // Not a page for other methods: the API's own 404/405.
    expect((await raw(fx.api.url, '/', 'POST')).status).toBeGreaterThanOrEqual(400);
  });

  it('moves the console from another name of this host (127.0.0.1) to the origin its sign-in cookie belongs to', async () => {
    const { port } = new URL(fx.api.url);
    const other = `127.0.0.1:${port}`;
    const answer = await raw(fx.api.url, '/console/accounts/new?from=mail', 'GET', other);
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe(`${fx.api.url}/console/accounts/new?from=mail`);
    expect((await raw(fx.api.url, '/', 'GET', other)).headers.location).toBe(`${fx.api.url}/console/`);
    // The install flow's outcome rides along.
    expect((await raw(fx.api.url, '/?installation_id=7&linked=true')).headers.location).toBe(
      `${fx.api.url}/console/?installation_id=7&linked=true`,
    );
    // The API itself answers on any name (curl http://127.0.0.1:3000/health works).
    expect((await raw(fx.api.url, '/health', 'GET', other)).status).toBe(200);
  });

  it('leaves the API routes to the API (a prefix match needs the slash)', async () => {
    const health = await raw(fx.api.url, '/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    const me = await raw(fx.api.url, '/me');
    expect(me.status).toBe(401);
    expect(JSON.parse(me.body)).toMatchObject({ error: expect.any(String) as string });
    for (const path of ['/consoles', '/console.json', '/consolex/accounts']) {
      const answer = await raw(fx.api.url, path);
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'not_found' });
    }
    expect(me.headers['content-security-policy']).toBeUndefined();
  });
});
