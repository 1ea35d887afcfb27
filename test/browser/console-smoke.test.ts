import { describeInBrowser, newWatchedContext, npmStartAndBrowser } from '../support/browser.js';

describeInBrowser('console served by npm start, in Chromium', () => {
  const run = npmStartAndBrowser('console-smoke');

  test('signed out, the console offers "Sign in with GitHub" and a 401 from /me is no error', async () => {
    const { context, page, watched } = await newWatchedContext(run.browser);
    await page.goto(`${run.stack.apiUrl}/console/`);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).waitFor();
    expect(watched.problems).toEqual([]);
    await context.close();
  });

  test('sign in through the emulator page lands back in the console; Sign out ends the session', async () => {
    const { context, page, watched } = await newWatchedContext(run.browser);
    await page.goto(`${run.stack.apiUrl}/console/`);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.getByRole('link', { name: 'Continue as octo-demo' }).click();
    await page.waitForURL(`${run.stack.apiUrl}/console/**`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByText('octo-demo').first().waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in with GitHub' }).waitFor();
    const me = await context.request.get(`${run.stack.apiUrl}/me`);
    expect(me.status()).toBe(401);
    expect(watched.problems).toEqual([]);
    await context.close();
  });

  test('opened at 127.0.0.1 or at /, the console moves to its own origin and signing in works', async () => {
    const { context, page, watched } = await newWatchedContext(run.browser);
    const { port } = new URL(run.stack.apiUrl);
    await page.goto(`http://127.0.0.1:${port}/console/`);
    await page.waitForURL(`${run.stack.apiUrl}/console/`);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.getByRole('link', { name: 'Continue as octo-demo' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    // Where sign-in and the install flow return when no page is named.
    await page.goto(`${run.stack.apiUrl}/`);
    await page.waitForURL(`${run.stack.apiUrl}/console/`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(watched.problems).toEqual([]);
    await context.close();
  });

  test('a console URL that names no screen says so, signed in, and links home', async () => {
    const { context, page, watched } = await newWatchedContext(run.browser);
    await page.goto(`${run.stack.apiUrl}/console/`);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.getByRole('link', { name: 'Continue as octo-demo' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto(`${run.stack.apiUrl}/console/no/such/screen`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.getByRole('link', { name: 'Go to your accounts' }).click();
    await page.getByRole('heading', { name: 'Your accounts' }).waitFor();
    expect(watched.problems).toEqual([]);
    await context.close();
  });

  test('keyboard only: sign in, create an account, reload its deep link', async () => {
    const { context, page, watched } = await newWatchedContext(run.browser);
    await page.goto(`${run.stack.apiUrl}/console/`);
    const focusOn = async (name: string) => {
      for (let presses = 0; presses < 40; presses++) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate<string>(
          '((e) => (e?.labels?.[0]?.textContent || e?.getAttribute("aria-label") || e?.textContent || "").trim())(document.activeElement)',
        );
        if (focused === name) return;
      }
      throw new Error(`Tab never reached "${name}"`);
    };
    await focusOn('Sign in with GitHub');
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'Continue as octo-demo' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await focusOn('New account');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await focusOn('Name');
    await page.keyboard.type('Keyboard team');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Keyboard team', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Keyboard team', exact: true }).waitFor();
    expect(watched.problems).toEqual([]);
    await context.close();
  });
});
