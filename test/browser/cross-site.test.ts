import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generate } from 'selfsigned';
import {
  describeInBrowser,
  launchChromium,
  newWatchedContext,
  type PageProblems,
} from '../support/browser.js';
import { startService, type ServiceFixture } from '../support/service.js';

/**
 * Which frontend/API setups work with the session cookie, as Chromium enforces it over HTTPS (README
 * "Frontend integration"). The service runs once, in this process, with an HTTPS API_BASE_URL, so its
 * cookies are what production sets: `__Host-session; Secure; HttpOnly; SameSite=Lax`, no Domain.
 *
 * Host names (Chromium maps them all to 127.0.0.1; one certificate covers them all):
 * - app.example.test        the frontend page, listed in FRONTEND_ORIGINS
 * - api.example.test        the API on the frontend's site (a sibling subdomain of example.test)
 * - api.other.test          the same API on another site
 * - elsewhere.example.test  the same page on an origin FRONTEND_ORIGINS does not list
 */
const HOSTS = ['app.example.test', 'api.example.test', 'api.other.test', 'elsewhere.example.test'];

/** What a page's fetch came to, as the page itself sees it. */
type Seen = { status: number; body: unknown } | { failed: string };

/**
 * The frontend: one small page. Its "Sign in with GitHub" link starts sign-in on the API named by
 * `?api=` and asks to come back to this very page (an absolute returnTo on a frontend origin).
 */
function frontendPage(url: URL): string {
  const api = url.searchParams.get('api') ?? '';
  const login = `${api}/auth/login?returnTo=${encodeURIComponent(url.toString())}`;
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Frontend</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>Frontend</h1><a href="${escape(login)}">Sign in with GitHub</a></main></body></html>`;
}

/** `fetch` run by the page (its origin, its cookie jar, its CORS): the answer, or how it failed. */
function pageFetch(page: Page, url: string, init: Record<string, unknown> = {}): Promise<Seen> {
  return page.evaluate(
    async ([target, options]) => {
      try {
        const response = await fetch(target, options);
        const text = await response.text();
        return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
      } catch (error) {
        return { failed: String(error) };
      }
    },
    [url, init] as const,
  );
}

describeInBrowser('frontend and API on local HTTPS: the session cookie across sites, in Chromium', () => {
  let fx: ServiceFixture;
  let browser: Browser;
  let apiFront: Server;
  let pageServer: Server;
  let app: string; // https://app.example.test:<port>
  let elsewhere: string; // https://elsewhere.example.test:<port>
  let apiSameSite: string; // https://api.example.test:<port>
  let apiOtherSite: string; // https://api.other.test:<port>
  // Signed in once (test a), used by the later ones.
  let context: BrowserContext;
  let page: Page;
  let watched: PageProblems;

  beforeAll(async () => {
    const certificate = await generate([{ name: 'commonName', value: 'app.example.test' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: HOSTS.map((value) => ({ type: 2 as const, value })) },
      ],
    });
    const tls = { key: certificate.private, cert: certificate.cert };

    // The API's HTTPS front: the local API server's own request handler on TLS sockets, so every
    // host name reaches the one service (API Gateway's custom domains do the same in AWS).
    apiFront = createServer(tls, (req, res) => fx.api.server.emit('request', req, res));
    pageServer = createServer(tls, (req, res) => {
      const url = new URL(req.url ?? '/', `https://${req.headers.host ?? ''}`);
      if (url.pathname !== '/') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(frontendPage(url));
    });
    const [apiPort, pagePort] = await Promise.all([listen(apiFront), listen(pageServer)]);
    app = `https://app.example.test:${pagePort}`;
    elsewhere = `https://elsewhere.example.test:${pagePort}`;
    apiSameSite = `https://api.example.test:${apiPort}`;
    apiOtherSite = `https://api.other.test:${apiPort}`;

    [fx, browser] = await Promise.all([
      startService({ apiBaseUrl: apiSameSite, frontendOrigins: [app] }),
      launchChromium([
        `--host-resolver-rules=${HOSTS.map((host) => `MAP ${host} 127.0.0.1`).join(', ')}`,
        '--ignore-certificate-errors',
      ]),
    ]);
    await fx.admin.createUser({ login: 'octo-demo', name: 'Octo Demo' });
    ({ context, page, watched } = await newWatchedContext(browser, { ignoreHTTPSErrors: true }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([apiFront, pageServer].map((server) => server && close(server)));
    await fx?.close();
  });

  test('(a) same site: the page signs in via api.example.test; credentialed fetch is 200 and a POST passes CSRF', async () => {
    const home = `${app}/?api=${encodeURIComponent(apiSameSite)}`;
    await page.goto(home);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.getByRole('link', { name: 'Continue as octo-demo' }).click();
    await page.waitForURL(`${app}/**`);
    expect(page.url()).toBe(home);

    // The cookie the browser holds: production's attributes, on the API's host only.
    const cookies = await context.cookies(apiSameSite);
    expect(
      cookies.map(({ name, domain, path, secure, httpOnly, sameSite }) => ({
        name,
        domain,
        path,
        secure,
        httpOnly,
        sameSite,
      })),
    ).toEqual([
      {
        name: '__Host-session',
        domain: 'api.example.test',
        path: '/',
        secure: true,
        httpOnly: true,
        sameSite: 'Lax',
      },
    ]);
    // HttpOnly, and on another host anyway: the page's script never sees the session id.
    expect(await page.evaluate<string>('document.cookie')).toBe('');

    expect(await pageFetch(page, `${apiSameSite}/me`, { credentials: 'include' })).toEqual({
      status: 200,
      body: expect.objectContaining({ user: expect.objectContaining({ login: 'octo-demo' }), accounts: [] }),
    });
    // A state change: the browser sends the page's Origin, which FRONTEND_ORIGINS lists.
    expect(
      await pageFetch(page, `${apiSameSite}/accounts`, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Team A' }),
      }),
    ).toEqual({ status: 201, body: expect.objectContaining({ name: 'Team A', role: 'owner' }) });
    expect(await pageFetch(page, `${apiSameSite}/me`, { credentials: 'include' })).toEqual({
      status: 200,
      body: expect.objectContaining({ accounts: [expect.objectContaining({ name: 'Team A' })] }),
    });
    expect(watched.problems).toEqual([]);
  });

  test('(b) same site without credentials: "include" the cookie stays home: 401', async () => {
    // fetch's default (credentials: 'same-origin') sends no cookie to another origin, even a same-site one.
    expect(await pageFetch(page, `${apiSameSite}/me`)).toEqual({
      status: 401,
      body: expect.objectContaining({ error: 'unauthenticated' }),
    });
    expect(watched.problems).toEqual([]);
  });

  /** The session cookie as `origin`'s own host-only `__Host-` cookie, with the SameSite asked for. */
  async function giveCookieTo(
    origin: string,
    session: { name: string; value: string },
    sameSite: 'Lax' | 'None',
  ) {
    await context.addCookies([
      { name: session.name, value: session.value, url: `${origin}/`, secure: true, httpOnly: true, sameSite },
    ]);
  }

  test('(c) cross site: a valid session cookie of api.other.test is not sent by the page: 401; a bearer is', async () => {
    // The service has one API_BASE_URL (its OAuth callback), so sign-in cannot start and end on
    // api.other.test here. What such a sign-in leaves behind is the same session as a host-only
    // __Host- cookie of api.other.test: the browser gets exactly that.
    const [session] = await context.cookies(apiSameSite);
    if (!session) throw new Error('signed in by test (a)');
    await giveCookieTo(apiOtherSite, session, 'Lax');
    // Signed in there: a top-level visit to api.other.test carries the cookie and is answered 200.
    const visit = await context.newPage();
    const direct = await visit.goto(`${apiOtherSite}/me`);
    expect(direct?.status()).toBe(200);
    await visit.close();

    await page.goto(`${app}/?api=${encodeURIComponent(apiOtherSite)}`);
    // From app.example.test, api.other.test is another site: SameSite=Lax keeps the cookie out of the
    // fetch. CORS itself lets the page read the answer (its origin is listed): it is a plain 401.
    expect(await pageFetch(page, `${apiOtherSite}/me`, { credentials: 'include' })).toEqual({
      status: 401,
      body: expect.objectContaining({ error: 'unauthenticated' }),
    });
    // Nor does a state change get through on the cookie.
    expect(
      await pageFetch(page, `${apiOtherSite}/accounts`, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Team B' }),
      }),
    ).toEqual({ status: 401, body: expect.objectContaining({ error: 'unauthenticated' }) });

    // Not a matter of the cookie's attributes: the same cookie with SameSite=None (the service never
    // sets that) is not sent either: Playwright's contexts are off-the-record profiles, which block
    // third-party cookies, as Chrome's incognito windows and Safari do.
    await giveCookieTo(apiOtherSite, session, 'None');
    expect(await pageFetch(page, `${apiOtherSite}/me`, { credentials: 'include' })).toEqual({
      status: 401,
      body: expect.objectContaining({ error: 'unauthenticated' }),
    });

    // What does reach a cross-site API: the API's other scheme, `Authorization: Bearer <session id>`.
    // CORS allows the header for a listed origin, and it is no ambient credential (no SameSite, no
    // CSRF check). But a browser page has no session id to send (the service hands it out only as an
    // HttpOnly cookie): this is the path of a server-side frontend, not of the page's own script.
    expect(
      await pageFetch(page, `${apiOtherSite}/me`, { headers: { authorization: `Bearer ${session.value}` } }),
    ).toEqual({
      status: 200,
      body: expect.objectContaining({ user: expect.objectContaining({ login: 'octo-demo' }) }),
    });
    expect(watched.problems).toEqual([]);
  });

  test('(d) an origin FRONTEND_ORIGINS does not list: CORS refuses, the page sees a failed fetch', async () => {
    const other = await newWatchedContext(browser, { ignoreHTTPSErrors: true });
    // The same signed-in cookie jar, and elsewhere.example.test is even on the API's site: what stops
    // the page is CORS (no Access-Control-Allow-Origin for its origin), not a missing session.
    await other.context.addCookies(await context.cookies(apiSameSite));
    await other.page.goto(`${elsewhere}/?api=${encodeURIComponent(apiSameSite)}`);
    expect(await pageFetch(other.page, `${apiSameSite}/me`, { credentials: 'include' })).toEqual({
      failed: 'TypeError: Failed to fetch',
    });
    // A JSON POST needs a preflight, which gets no Access-Control-Allow-Origin: it is never sent.
    expect(
      await pageFetch(other.page, `${apiSameSite}/accounts`, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Team C' }),
      }),
    ).toEqual({ failed: 'TypeError: Failed to fetch' });
    expect(await pageFetch(page, `${apiSameSite}/me`, { credentials: 'include' })).toEqual({
      status: 200,
      body: expect.objectContaining({ accounts: [expect.objectContaining({ name: 'Team A' })] }),
    });
    // What the browser console shows for it: the two CORS refusals (the POST's at its preflight), nothing else.
    const refusals = other.watched.problems.filter((problem) => problem.includes('blocked by CORS policy'));
    expect(refusals).toEqual([
      expect.stringContaining(`Access to fetch at '${apiSameSite}/me' from origin '${elsewhere}'`),
      expect.stringMatching(/\/accounts' from origin .*Response to preflight request/),
    ]);
    expect(other.watched.problems.filter((problem) => !refusals.includes(problem))).toEqual([
      `failed load: ${apiSameSite}/me net::ERR_FAILED`,
      'console.error: Failed to load resource: net::ERR_FAILED',
      `failed load: ${apiSameSite}/accounts net::ERR_FAILED`,
      'console.error: Failed to load resource: net::ERR_FAILED',
    ]);
    await other.context.close();
  });

  test("(e) an unlisted origin on the API's site sends the Lax cookie with a simple POST: the CSRF check refuses it", async () => {
    const other = await newWatchedContext(browser, { ignoreHTTPSErrors: true });
    await other.context.addCookies(await context.cookies(apiSameSite));
    await other.page.goto(`${elsewhere}/?api=${encodeURIComponent(apiSameSite)}`);
    const answered = other.page.waitForResponse(`${apiSameSite}/auth/logout`);
    // A "simple" request (no preflight) from a sibling subdomain carries the SameSite=Lax cookie:
    // only the Origin check keeps it from signing the user out (or any other bodiless state change).
    const seen = await other.page.evaluate(
      async ([target]) => {
        const response = await fetch(target, { method: 'POST', mode: 'no-cors', credentials: 'include' });
        return { type: response.type, status: response.status };
      },
      [`${apiSameSite}/auth/logout`] as const,
    );
    // The page learns nothing (an opaque answer); the service refused it, and the session lives on.
    expect(seen).toEqual({ type: 'opaque', status: 0 });
    const answer = await answered;
    // 403 (csrf_rejected), not 401: the cookie did arrive; Chromium keeps no body of an opaque answer.
    expect(answer.status()).toBe(403);
    expect(await pageFetch(page, `${apiSameSite}/me`, { credentials: 'include' })).toEqual({
      status: 200,
      body: expect.objectContaining({ user: expect.objectContaining({ login: 'octo-demo' }) }),
    });
    expect(other.watched.problems).toEqual([]);
    await other.context.close();
  });
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
