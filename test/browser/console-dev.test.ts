import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { freePort } from '../../local/ports.js';
import { describeInBrowser, launchChromium, newWatchedContext } from '../support/browser.js';
import { NPM_START_TIMEOUT_MS, startNpmStart, stopNpmStart, type NpmStart } from '../support/npm-start.js';

const root = resolve(import.meta.dirname, '../..');

/**
 * `npm run console:dev`: Vite's dev server on its own port, the API proxied to npm start. Sign-in
 * leaves for the API's port (the OAuth callback is npm start's) and comes back to Vite's: cookies are
 * per host, not per port, so the session set on localhost:<api> is sent to localhost:<vite> too, and
 * the proxy passes it on. Vite listens on a free port here (5173 may be taken), listed in
 * FRONTEND_ORIGINS as npm start's default lists 5173.
 */
async function startVite(port: number, apiUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      join(root, 'node_modules/vite/bin/vite.js'),
      '--config',
      'console/vite.config.ts',
      '--port',
      String(port),
      '--strictPort',
    ],
    { cwd: root, env: { ...process.env, CONSOLE_API_URL: apiUrl, NODE_OPTIONS: '' }, stdio: 'pipe' },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://localhost:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vite exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/console/`, { signal: AbortSignal.timeout(1000) })).ok) return { child, url };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`vite did not answer within 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeInBrowser('npm run console:dev (Vite, API proxied to npm start), in Chromium', () => {
  let stack: NpmStart;
  let vite: { child: ChildProcess; url: string };
  let browser: Browser;
  const dataDir = mkdtempSync(join(tmpdir(), 'console-dev-'));

  beforeAll(async () => {
    const [apiPort, vitePort] = [await freePort(), await freePort()];
    [stack, browser] = await Promise.all([
      startNpmStart({
        dataDir,
        port: apiPort,
        env: { FRONTEND_ORIGINS: `http://localhost:${apiPort},http://localhost:${vitePort}` },
      }),
      launchChromium(),
    ]);
    vite = await startVite(vitePort, stack.apiUrl);
  }, NPM_START_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    if (vite && vite.child.exitCode === null) {
      const exited = new Promise((r) => vite.child.once('exit', r));
      vite.child.kill('SIGTERM');
      await exited;
    }
    if (stack) await stopNpmStart(stack);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('signs in through the emulator, comes back to Vite signed in, and signs out', async () => {
    const { context, page, watched } = await newWatchedContext(browser);
    await page.goto(`${vite.url}/console/`);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.getByRole('link', { name: 'Continue as octo-demo' }).click();
    await page.waitForURL(`${vite.url}/console/**`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByText('octo-demo').first().waitFor();
    // The session cookie was set by the API's port, and Vite's proxy carries it to the API.
    const me = await context.request.get(`${vite.url}/me`);
    expect(me.status()).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in with GitHub' }).waitFor();
    expect((await context.request.get(`${vite.url}/me`)).status()).toBe(401);
    expect(watched.problems).toEqual([]);
    await context.close();
  });

  test('a deep link reloads into its screen (Vite answers index.html under /console/)', async () => {
    const { context, page, watched } = await newWatchedContext(browser);
    const response = await page.goto(`${vite.url}/console/accounts/new`);
    expect(response?.status()).toBe(200);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).waitFor();
    expect(watched.problems).toEqual([]);
    await context.close();
  });
});
