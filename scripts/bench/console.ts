/**
 * The bench's console row: the production build's JS and CSS bytes (raw and gzipped), and its first
 * load on the local server (the same server code npm start runs) in Chromium — navigation start to
 * the "Sign in with GitHub" link visible, signed out, the median of fresh browser contexts. Figures
 * only: nothing here passes or fails.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildConsoleSync } from '../../lib/console/build.js';
import { startLocalApiServer } from '../../local/api-server.js';
import { freePort } from '../../local/ports.js';
import { median } from './stats.js';
import { CHROMIUM_PATH, launchChromium } from '../../local/chromium.js';

const LOADS = 9;
type PageGlobals = {
  document: {
    querySelectorAll(selector: string): Iterable<{
      textContent: string | null;
      getBoundingClientRect(): { height: number };
    }>;
  };
  performance: { now(): number };
};

/** Runs in the page: ms since navigation start once the sign-in link is laid out (a function: CSP forbids eval). */
function linkShownAt(): number | false {
  const { document, performance } = globalThis as unknown as PageGlobals;
  const link = [...document.querySelectorAll('a')].find(
    (a) => (a.textContent ?? '').includes('Sign in with GitHub') && a.getBoundingClientRect().height > 0,
  );
  return link ? performance.now() : false;
}

/** The bytes of the build's assets by kind: what a first visit downloads besides index.html. */
export function consoleBytes(dist: string): { js: number; css: number; jsGzip: number; cssGzip: number } {
  const totals = { js: 0, css: 0, jsGzip: 0, cssGzip: 0 };
  const assets = join(dist, 'assets');
  for (const name of readdirSync(assets)) {
    const kind = extname(name) === '.js' ? 'js' : extname(name) === '.css' ? 'css' : undefined;
    if (!kind) continue;
    const body = readFileSync(join(assets, name));
    totals[kind] += body.length;
    // Level 9, as CloudFront's and most servers' gzip comes close to; brotli would be smaller still.
    totals[`${kind}Gzip`] += gzipSync(body, { level: 9 }).length;
  }
  return totals;
}

/**
 * Prints the console row. Needs the service's environment set (the bench's in-process service): the
 * console's /me call reaches the real handler and answers 401, as for a signed-out visitor.
 */
export async function benchConsole(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-console-'));
  try {
    const dist = join(work, 'console');
    buildConsoleSync(dist);
    const bytes = consoleBytes(dist);
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    console.log('\nConsole (production build; figures, no target)');
    console.log(
      `bundle: JS ${kb(bytes.js)} (${kb(bytes.jsGzip)} gzipped), CSS ${kb(bytes.css)} (${kb(bytes.cssGzip)} gzipped); total ${kb(bytes.jsGzip + bytes.cssGzip)} gzipped`,
    );
    if (!existsSync(CHROMIUM_PATH)) {
      console.log(`first load: not measured (no Chromium at ${CHROMIUM_PATH})`);
      return;
    }
    const server = await startLocalApiServer({
      port: await freePort(),
      frontendOrigins: [],
      consoleDir: dist,
    });
    const browser = await launchChromium();
    try {
      const times: number[] = [];
      // One unmeasured load first: the handlers' modules load once per server, like a warm Lambda.
      for (let i = 0; i <= LOADS; i++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(`${server.url}/console/`, { waitUntil: 'commit' });
        const shown = await page.waitForFunction(linkShownAt, undefined, {
          polling: 'raf',
          timeout: 10_000,
        });
        const ms = (await shown.jsonValue()) as number;
        if (i > 0) times.push(ms);
        await context.close();
      }
      const sorted = [...times].sort((a, b) => a - b);
      console.log(
        `first load on the local server (navigation start → "Sign in with GitHub" visible, signed out): median ${median(times).toFixed(0)} ms of ${LOADS} fresh contexts (min ${sorted[0]?.toFixed(0)}, max ${sorted.at(-1)?.toFixed(0)})`,
      );
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
