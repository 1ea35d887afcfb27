import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_PATH, launchChromium as launch } from '../../local/chromium.js';
import { startNpmStart, stopNpmStart, type NpmStart } from './npm-start.js';
import { trackProcess } from './processes.js';

export { CHROMIUM_PATH };

/** Chromium (local/chromium.ts), closed when the test file ends if the test did not close it. */
export async function launchChromium(...args: Parameters<typeof launch>): Promise<Browser> {
  const browser = await launch(...args);
  const untrack = trackProcess('Chromium', () => browser.close());
  browser.once('disconnected', untrack);
  return browser;
}

/**
 * Whether the browser suites can run. Without a browser they skip with a message, except in CI
 * (CI=true), where a missing browser is a failure: .ci/run installs it.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === 'true')
    throw new Error(`CI=true but no Chromium at ${CHROMIUM_PATH}: .ci/run installs it`);
  process.stderr.write(
    `\nBrowser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)\n`,
  );
  return false;
}

/** `describe` when a browser exists, `describe.skip` otherwise (see browserAvailable). */
export const describeInBrowser: typeof describe = browserAvailable() ? describe : describe.skip;

/** What went wrong in a page: uncaught exceptions, console errors, failed loads and 5xx answers. */
export type PageProblems = { problems: string[] };

/**
 * Records everything the issue counts as an error in the browser console. An expected 4xx answer
 * (401 from /me while signed out) is not a problem; Chromium logs it as a console error
 * ("Failed to load resource"), so those lines are matched to their 4xx response and left out.
 */
export function watchPage(page: Page): PageProblems {
  const watched: PageProblems = { problems: [] };
  page.on('pageerror', (error) => watched.problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    watched.problems.push(`console.error: ${text}`);
  });
  page.on('requestfailed', (request) => {
    // A navigation away aborts pending requests (net::ERR_ABORTED): not a failed load.
    if (request.failure()?.errorText === 'net::ERR_ABORTED') return;
    watched.problems.push(`failed load: ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 500) watched.problems.push(`${response.status()}: ${response.url()}`);
  });
  return watched;
}

/** A fresh context (its own cookie jar), phone width when asked, with the problem watcher on its pages. */
export async function newWatchedContext(
  browser: Browser,
  options: { phone?: boolean; ignoreHTTPSErrors?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; watched: PageProblems }> {
  const context = await browser.newContext({
    viewport: options.phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
    ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false,
  });
  const page = await context.newPage();
  return { context, page, watched: watchPage(page) };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

type AxeViolation = { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] };

/** axe-core's scan of the page as it is now: the serious and critical violations, in words. */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated, not added as an inline <script>: the console's CSP (script-src 'self') refuses those.
  await page.evaluate(axeSource);
  // A string, evaluated in the page: this program's types know no DOM.
  const violations = await page.evaluate<AxeViolation[]>(`window.axe.run(document).then((result) =>
    result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`,
    );
}

/** Whether the page scrolls sideways (the phone-width rule: no horizontal scroll at 390 px). */
export async function scrollsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate<boolean>(
    'document.documentElement.scrollWidth > document.documentElement.clientWidth',
  );
}

/**
 * For a browser suite: `npm start` in its own data folder and one Chromium, started before the
 * suite's tests (set on the returned object then) and stopped after them.
 */
export function npmStartAndBrowser(name: string): { stack: NpmStart; browser: Browser } {
  const started = {} as { stack: NpmStart; browser: Browser };
  const dataDir = mkdtempSync(join(tmpdir(), `${name}-`));
  beforeAll(async () => {
    // Each is kept as soon as it is up: when the other fails, afterAll still stops it (no stray Chromium).
    await Promise.all([
      startNpmStart({ dataDir }).then((stack) => (started.stack = stack)),
      launchChromium().then((browser) => (started.browser = browser)),
    ]);
  }, 240_000);
  afterAll(async () => {
    await started.browser?.close();
    if (started.stack) await stopNpmStart(started.stack);
    rmSync(dataDir, { recursive: true, force: true });
  });
  return started;
}
