import type { BrowserContext, Page } from 'playwright-core';
import { scrollsHorizontally, seriousAccessibilityViolations } from './browser.js';

/** Signs in as `login` through the console's button and the emulator's authorize page. */
export async function signInAs(page: Page, apiUrl: string, login: string): Promise<void> {
  await page.goto(`${apiUrl}/console/`);
  await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
  await page.getByRole('link', { name: `Continue as ${login}` }).click();
  await page.waitForURL(`${apiUrl}/console/**`);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * The API with the page's session cookie, as the console calls it: state-changing calls carry the
 * console's Origin (the API refuses cookie-authenticated writes from elsewhere).
 */
export function apiAs(context: BrowserContext, apiUrl: string) {
  const headers = { origin: apiUrl };
  return {
    get: (path: string) => context.request.get(`${apiUrl}${path}`),
    post: (path: string, data: unknown) => context.request.post(`${apiUrl}${path}`, { data, headers }),
    put: (path: string) => context.request.put(`${apiUrl}${path}`, { headers }),
  };
}

/**
 * Waits (bounded) until npm start's background sync has indexed every installation linked to the
 * account: the repositories screen reads the index once, when it loads.
 */
export async function untilRepositoriesSynced(
  context: BrowserContext,
  apiUrl: string,
  accountId: string,
): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const response = await apiAs(context, apiUrl).get(`/accounts/${accountId}/repositories?limit=1`);
    const body = (await response.json()) as { installations?: Array<{ status: string }> };
    if (response.status() === 200 && body.installations?.every((entry) => entry.status !== 'syncing')) return;
    if (Date.now() > deadline)
      throw new Error(`repositories not synced within 90 s: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Creates a platform account through the API (the accounts screen is another screen's business). */
export async function createAccount(context: BrowserContext, apiUrl: string, name: string): Promise<string> {
  const response = await apiAs(context, apiUrl).post('/accounts', { name });
  if (response.status() !== 201)
    throw new Error(`POST /accounts → ${response.status()}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/** The screen as it is now passes axe (no serious or critical violation) and, at 390 px, does not scroll sideways. */
export async function expectAccessibleAndNarrow(page: Page): Promise<void> {
  expect(await seriousAccessibilityViolations(page)).toEqual([]);
  const wide = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await scrollsHorizontally(page)).toBe(false);
  if (wide) await page.setViewportSize(wide);
}
