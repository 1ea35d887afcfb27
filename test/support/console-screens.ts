import type { BrowserContext, Page } from 'playwright-core';
import { scrollsHorizontally, seriousAccessibilityViolations } from './browser.js';

/** Signs in as `login` through the console's button and the emulator's authorize page. */
export async function signInAs(page: Page, apiUrl: string, login: string): Promise<void> {
  await page.goto(`${apiUrl}/console/`);
  await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
  await page.getByRole('link', { name: `Continue as ${login}` }).click();
  // Back on the console: "commit", not "load" (which also waits for avatars from GitHub's host).
  await page.waitForURL(`${apiUrl}/console/**`, { waitUntil: 'commit' });
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

/** The screen as it is now passes axe (no serious or critical violation) and reads well at 390 px (expectReadableAtPhoneWidth). */
export async function expectAccessibleAndNarrow(page: Page): Promise<void> {
  expect(await seriousAccessibilityViolations(page)).toEqual([]);
  await expectReadableAtPhoneWidth(page);
}

/**
 * Runs in the page (a string: this program's types know no DOM). What a reader would see as a broken
 * word: a run of letters or digits laid out on two lines (compared through the line boxes of
 * Range.getClientRects, so "Rol/e" is caught and a break after a hyphen is not); word text that may
 * break anywhere (`overflow-wrap: anywhere`, `word-break: break-all`); a cell, button or heading whose
 * text is cut off (scrollWidth > clientWidth); a table that scrolls sideways inside its wrapper.
 */
const BROKEN_WORDS = `(() => {
  const problems = [];
  const where = (element) => element.tagName.toLowerCase() + (element.className ? '.' + String(element.className).split(' ').join('.') : '');
  const skipped = 'pre, code, select, option, textarea, script, style, .visually-hidden';
  // Visually hidden for screen readers (clipped to a pixel, e.g. table headers shown as card labels).
  const clipped = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.position === 'absolute' && style.clip && style.clip !== 'auto') return true;
    }
    return false;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    const text = node.textContent || '';
    if (!parent || !text.trim() || parent.closest(skipped) || clipped(parent)) continue;
    const style = getComputedStyle(parent);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (style.overflowWrap === 'anywhere' || style.wordBreak === 'break-all')
      problems.push('may break anywhere: "' + text.trim() + '" in ' + where(parent));
    for (const match of text.matchAll(/[\\p{L}\\p{N}]+/gu)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (lines.size > 1) problems.push('"' + match[0] + '" split across lines in ' + where(parent) + ': "' + text.trim() + '"');
    }
  }
  for (const element of document.querySelectorAll('th, td, button, .button, h1, h2, h3, label, summary')) {
    if (element.closest(skipped) || clipped(element) || element.getClientRects().length === 0) continue;
    if (element.scrollWidth > element.clientWidth + 1)
      problems.push('cut off: "' + (element.textContent || '').trim() + '" in ' + where(element));
  }
  for (const wrap of document.querySelectorAll('.table-wrap'))
    if (wrap.scrollWidth > wrap.clientWidth + 1)
      problems.push('a table scrolls sideways: "' + (wrap.textContent || '').trim().slice(0, 60) + '"');
  return problems;
})()`;

/** Every broken word on the page as it is laid out now (see BROKEN_WORDS); [] when none. */
export async function brokenWords(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(BROKEN_WORDS);
}

/**
 * The phone-width rules, at 390 px: no sideways scroll, no word broken across lines, nothing cut
 * off, and axe finds nothing serious there either. The viewport is put back afterwards.
 */
export async function expectReadableAtPhoneWidth(page: Page): Promise<void> {
  const wide = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    expect(await scrollsHorizontally(page)).toBe(false);
    expect(await brokenWords(page)).toEqual([]);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
  } finally {
    if (wide) await page.setViewportSize(wide);
  }
}

/**
 * The top bar's layout: its height and whether its items sit on one row (every item's box overlaps
 * the first item's row vertically).
 */
export async function topBarLayout(page: Page): Promise<{ height: number; rows: number }> {
  return page.evaluate<{ height: number; rows: number }>(`(() => {
    const bar = document.querySelector('header.top');
    const items = [...bar.children].map((c) => c.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0);
    const rows = [];
    for (const r of items) {
      const row = rows.find((existing) => r.top < existing.bottom && r.bottom > existing.top);
      if (!row) rows.push({ top: r.top, bottom: r.bottom });
    }
    return { height: bar.getBoundingClientRect().height, rows: rows.length };
  })()`);
}

/** Opens the top bar's account switcher and answers its list of accounts (the links in it). */
export async function openAccountSwitcher(page: Page) {
  const menu = page.getByRole('navigation', { name: 'Accounts' });
  if (!(await menu.isVisible())) await page.getByRole('button', { name: /^Account/ }).click();
  await menu.waitFor();
  return menu;
}
