import { jest } from '@jest/globals';
import { describeInBrowser, newWatchedContext, npmStartAndBrowser } from '../support/browser.js';
import { apiAs, createAccount, expectAccessibleAndNarrow, signInAs } from '../support/console-screens.js';

// Steps wait for the page, not a clock; on 2 busy shared cores a step can take long.
jest.setTimeout(240_000);

type Listed = { installations: { id: number; linked: boolean; account?: { login: string } }[] };

describeInBrowser('console: installations screen, in Chromium against npm start', () => {
  const run = npmStartAndBrowser('console-installations');

  test('octo-demo sees both installations, links and unlinks octo-org, installs the App on octo-no-app and comes back linked', async () => {
    const { context, page, watched } = await newWatchedContext(run.browser);
    await signInAs(page, run.stack.apiUrl, 'octo-demo');
    const accountId = await createAccount(context, run.stack.apiUrl, 'Team A');
    const linkedLogins = async () => {
      const response = await apiAs(context, run.stack.apiUrl).get(`/accounts/${accountId}/installations`);
      const listed = (await response.json()) as Listed;
      return listed.installations.filter((i) => i.linked).map((i) => i.account?.login);
    };

    await page.goto(`${run.stack.apiUrl}/console/accounts/${accountId}/installations`);
    await page.getByRole('heading', { name: 'Installations' }).waitFor();
    const rows = page.getByRole('table', { name: 'Installations of the App' }).getByRole('row');
    await rows.filter({ hasText: 'octo-org' }).getByText('Not linked').waitFor();
    await expect(rows.filter({ hasText: 'octo-demo' }).getByText('Not linked').count()).resolves.toBe(1);
    // Each GitHub account with its avatar (its first letter when the picture does not load).
    await rows.filter({ hasText: 'octo-org' }).locator('.avatar').waitFor();
    await expectAccessibleAndNarrow(page);

    // With the keyboard: the buttons are real buttons.
    await page.getByRole('button', { name: 'Link octo-org', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Unlink octo-org', exact: true }).waitFor();
    await page.getByRole('status').getByText('octo-org is linked to Team A.').waitFor();
    await rows
      .filter({ hasText: 'octo-org' })
      .getByText('Linked: this account uses its repositories')
      .waitFor();
    expect(await linkedLogins()).toEqual(['octo-org']);

    await page.getByRole('button', { name: 'Unlink octo-org', exact: true }).click();
    await page.getByRole('button', { name: 'Link octo-org', exact: true }).waitFor();
    await page.getByRole('status').getByText('octo-org is no longer linked to Team A.').waitFor();
    expect(await linkedLogins()).toEqual([]);

    // The round trip through GitHub's install page (the emulator's), back to this screen.
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await page.waitForURL(`${run.stack.emulatorUrl}/**`);
    await page.getByRole('link', { name: 'Continue as octo-demo' }).click();
    await page.getByRole('link', { name: /^octo-no-app/ }).click();
    await page.waitForURL(`${run.stack.apiUrl}/console/accounts/${accountId}/installations`);
    await page
      .getByRole('status')
      .getByText(/The App is installed and installation \d+ is linked/)
      .waitFor();
    await page.getByRole('button', { name: 'Unlink octo-no-app', exact: true }).waitFor();
    // The outcome is said once: the query is gone from the address.
    expect(new URL(page.url()).search).toBe('');
    expect(await linkedLogins()).toEqual(['octo-no-app']);
    await expectAccessibleAndNarrow(page);

    expect(watched.problems).toEqual([]);
    await context.close();
  });

  test('an install or sign-in that failed on the way back is said in words, and the query is cleaned', async () => {
    const { context, page, watched } = await newWatchedContext(run.browser);
    await signInAs(page, run.stack.apiUrl, 'octo-demo');
    const accountId = await createAccount(context, run.stack.apiUrl, 'Team B');
    const screen = `${run.stack.apiUrl}/console/accounts/${accountId}/installations`;

    await page.goto(`${screen}?install_error=org_owner_required`);
    await page
      .getByRole('status')
      .getByText(
        'The installation was not linked. Only an owner of that GitHub organization can link its installation.',
      )
      .waitFor();
    await page.waitForURL(screen);

    await page.goto(`${screen}?auth_error=access_denied`);
    await page
      .getByRole('status')
      .getByText('Signing in with GitHub did not finish. Access was refused on GitHub.')
      .waitFor();
    await page.waitForURL(screen);

    expect(watched.problems).toEqual([]);
    await context.close();
  });

  test('a refused Link is explained in words; GitHub asking to sign in again leads back to sign-in', async () => {
    const { context, page, watched } = await newWatchedContext(run.browser);
    await signInAs(page, run.stack.apiUrl, 'octo-teammate');
    const accountId = await createAccount(context, run.stack.apiUrl, 'Teammate team');
    await page.goto(`${run.stack.apiUrl}/console/accounts/${accountId}/installations`);
    // octo-teammate is a member of octo-org, not an owner: GitHub's answer decides, the API says 403.
    await page.getByRole('button', { name: 'Link octo-org', exact: true }).click();
    await page
      .getByRole('status')
      .getByText('Only an owner of that GitHub organization can link its installation.')
      .waitFor();
    expect(await page.getByRole('button', { name: 'Link octo-org', exact: true }).count()).toBe(1);

    // The user revokes the App's authorization on GitHub: the next action needs a new sign-in.
    const revoked = await fetch(`${run.stack.emulatorUrl}/_emulator/authorizations/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'octo-teammate' }),
    });
    expect(revoked.status).toBeLessThan(300);
    await page.getByRole('button', { name: 'Link octo-org', exact: true }).click();
    await page.getByRole('link', { name: 'Continue as octo-teammate' }).waitFor();
    expect(page.url().startsWith(run.stack.emulatorUrl)).toBe(true);

    expect(watched.problems).toEqual([]);
    await context.close();
  });
});
