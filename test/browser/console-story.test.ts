/**
 * Bob's whole story in the console, in Chromium, against `npm start` — what a person does, found by
 * the words on the screen. With UPDATE_SCREENSHOTS=1 it also refreshes the README's screenshots.
 */
import { join, resolve } from 'node:path';
import { jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import {
  describeInBrowser,
  newWatchedContext,
  seriousAccessibilityViolations,
  npmStartAndBrowser,
} from '../support/browser.js';
import { expectReadableAtPhoneWidth, openAccountSwitcher } from '../support/console-screens.js';

const SCREENSHOTS = resolve(import.meta.dirname, '../../docs/screenshots');

// One long story: every step waits for the page, never a clock, and 2 busy shared cores are slow.
jest.setTimeout(300_000);

describeInBrowser("Bob's story in the console", () => {
  const run = npmStartAndBrowser('console-story');

  /** Every screen of the story: axe-clean, readable at 390 px (no broken word), and photographed when asked. */
  async function shot(page: Page, name: string, options: { phone?: boolean } = {}): Promise<void> {
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await expectReadableAtPhoneWidth(page);
    if (process.env.UPDATE_SCREENSHOTS !== '1') return;
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    if (!options.phone) return;
    const wide = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
    if (wide) await page.setViewportSize(wide);
  }

  async function signInAs(page: Page, login: string): Promise<void> {
    await page.goto(`${run.stack.apiUrl}/console/`);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.getByRole('link', { name: `Continue as ${login}` }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  async function createAccount(page: Page, name: string): Promise<void> {
    await page.getByRole('link', { name: 'New account' }).click();
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name, exact: true }).waitFor();
  }

  async function openInstallations(page: Page): Promise<void> {
    await page.getByRole('link', { name: 'Installations', exact: true }).click();
    await page.getByRole('heading', { name: 'Installations', exact: true }).waitFor();
  }

  const linkButton = (page: Page, login: string) =>
    page.getByRole('button', { name: `Link ${login}`, exact: true });
  const unlinkButton = (page: Page, login: string) =>
    page.getByRole('button', { name: `Unlink ${login}`, exact: true });

  test('sign in, two teams share octo-org, install on octo-no-app, invite, create a repository, sign out', async () => {
    const bob = await newWatchedContext(run.browser);
    const { page } = bob;

    await page.goto(`${run.stack.apiUrl}/console/`);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).waitFor();
    await shot(page, 'sign-in');
    await signInAs(page, 'octo-demo');

    // Team A sees both installations octo-demo can reach and links octo-org.
    await createAccount(page, 'Team A');
    await shot(page, 'account');
    await openInstallations(page);
    await page.getByRole('row').filter({ hasText: 'octo-demo' }).first().waitFor();
    await linkButton(page, 'octo-org').click();
    await unlinkButton(page, 'octo-org').waitFor();
    await shot(page, 'installations');

    // Team B links the same installation: one installation, many accounts.
    await createAccount(page, 'Team B');
    await openInstallations(page);
    await linkButton(page, 'octo-org').click();
    await unlinkButton(page, 'octo-org').waitFor();

    // Install the App on octo-no-app through GitHub's (the emulator's) page and come back linked.
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    // The emulator's install page, like GitHub's: who you are, then where to install.
    await page.getByRole('link', { name: 'Continue as octo-demo' }).click();
    await page.getByRole('link', { name: /^octo-no-app/ }).click();
    await page.waitForURL(`${run.stack.apiUrl}/console/**`);
    await unlinkButton(page, 'octo-no-app').waitFor();

    // Invite octo-teammate; they accept in their own browser.
    await page.getByRole('link', { name: 'Members', exact: true }).click();
    await page.getByLabel('GitHub login').fill('octo-teammate');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByText('octo-teammate').first().waitFor();
    await shot(page, 'members', { phone: true });

    const teammate = await newWatchedContext(run.browser);
    await signInAs(teammate.page, 'octo-teammate');
    await teammate.page.getByRole('link', { name: 'Invitations' }).click();
    await teammate.page.getByRole('button', { name: 'Accept' }).first().click();
    // Accepting opens the account; the top bar's switcher then lists it.
    await teammate.page.getByRole('heading', { level: 1, name: 'Team B' }).waitFor();
    await (await openAccountSwitcher(teammate.page)).getByRole('link', { name: 'Team B' }).waitFor();
    expect(teammate.watched.problems).toEqual([]);
    await teammate.context.close();

    // A repository with a file, in octo-org, through the App's installation.
    await page.getByRole('link', { name: 'Repositories', exact: true }).click();
    await page
      .getByRole('link', { name: /New repository|Create/ })
      .first()
      .click();
    await page.getByLabel('Repository name').fill('bobs-service');
    await page.getByLabel('Owner', { exact: true }).selectOption({ label: 'octo-org' });
    await page.getByRole('button', { name: 'Add a file' }).click();
    await page.getByLabel('File 1 path').fill('README.md');
    await page.getByLabel('File 1 content').fill('# Bob’s service\n');
    await shot(page, 'new-repository');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'octo-org/bobs-service' }).waitFor();
    await page.getByRole('link', { name: 'README.md' }).click();
    await page.getByText('# Bob’s service').waitFor();
    await shot(page, 'repository');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in with GitHub' }).waitFor();
    expect(bob.watched.problems).toEqual([]);
    await bob.context.close();
  });
});
