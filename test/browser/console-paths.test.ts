import type { BrowserContext, Page, Request } from 'playwright-core';
import {
  describeInBrowser,
  newWatchedContext,
  npmStartAndBrowser,
  type PageProblems,
} from '../support/browser.js';
import { createAccount, signInAs } from '../support/console-screens.js';

/**
 * Issue #22, finding 3: the console decoded `%2F` into new path segments and kept `..` in the file path
 * of a repository link, so a crafted console link made the victim's browser send credentialed requests
 * to other API routes (`GET /accounts/{A}/installations/new` planted an install-flow cookie). Driven in
 * Chromium against npm start: crafted links are refused on screen and send no request outside the
 * repository routes.
 */
describeInBrowser('console: crafted paths, in Chromium against npm start', () => {
  let context: BrowserContext;
  let page: Page;
  let watched: PageProblems;
  let accountId: string;
  const run = npmStartAndBrowser('console-paths');
  const requests: string[] = [];

  beforeAll(async () => {
    ({ context, page, watched } = await newWatchedContext(run.browser));
    await signInAs(page, run.stack.apiUrl, 'octo-demo');
    accountId = await createAccount(context, run.stack.apiUrl, 'Team P');
    page.on('request', (request: Request) => {
      const url = new URL(request.url());
      if (url.origin === new URL(run.stack.apiUrl).origin)
        requests.push(`${request.method()} ${url.pathname}`);
    });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
  });

  /** The API calls made (console assets left out). */
  const apiCalls = () => requests.filter((line) => !/^GET \/console(\/|$)/.test(line));

  it.each([
    [
      '%2F and .. in the file path',
      (a: string) => `/accounts/${a}/repositories/octo-org/web-app/..%2F..%2F..%2Finstallations%2Fnew`,
    ],
    [
      '.. segments decoded from %2F in the owner',
      (a: string) => `/accounts/${a}/repositories/..%2F..%2Finstallations/new/x`,
    ],
    [
      'an encoded slash in the account id',
      (a: string) => `/accounts/${a}%2Finstallations%2Fnew/repositories/o/r`,
    ],
    [
      'an empty segment in the file path',
      (a: string) => `/accounts/${a}/repositories/octo-org/web-app/src//index.ts`,
    ],
    ['malformed percent-encoding', (a: string) => `/accounts/${a}/repositories/octo-org/web-app/%ZZ`],
  ])('%s: refused on screen, no request outside the repository routes', async (_name, crafted) => {
    requests.length = 0;
    watched.problems.length = 0;
    await page.goto(`${run.stack.apiUrl}/console${crafted(accountId)}`);
    // Whatever the console asks for, it asks at load: all of it answered before the checks.
    await page.waitForLoadState('networkidle');
    const calls = apiCalls();
    expect(calls.filter((call) => /installations/.test(call))).toEqual([]);
    const allowed = new RegExp(
      `^GET /(me|me/invitations|accounts|accounts/${accountId}|accounts/${accountId}/repositories/[^/]+/[^/]+/(tree|contents/.+))$`,
    );
    expect(calls.filter((call) => !allowed.test(call))).toEqual([]);
    await page.getByRole('heading', { name: 'Invalid address' }).waitFor({ timeout: 5000 });
    // The page itself threw nothing (an overloaded machine's 503 from /me is not this test's subject).
    expect(watched.problems.filter((problem) => problem.startsWith('uncaught'))).toEqual([]);
  });

  it('an ordinary file link still asks for that file (its segments encoded, joined by %2F as the contract says)', async () => {
    // openapi.yaml's `{path}` parameter, filled by openapi-fetch's default serializer: one path
    // segment, each of the file's segments encoded and the slashes between them as %2F.
    const contents = `/accounts/${accountId}/repositories/octo-org/web-app/contents/docs%2Fa%20b.md`;
    const answered = page.waitForResponse((response) => new URL(response.url()).pathname === contents);
    await page.goto(
      `${run.stack.apiUrl}/console/accounts/${accountId}/repositories/octo-org/web-app/docs/a%20b.md`,
    );
    // The account links no installation: the repository is not reachable, but the request stays in its route.
    expect((await answered).status()).toBe(404);
    expect(await page.getByRole('heading', { name: 'Invalid address' }).count()).toBe(0);
  });
});
