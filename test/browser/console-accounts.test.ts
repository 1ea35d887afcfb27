import { resolve } from 'node:path';
import { jest } from '@jest/globals';
import type { BrowserContext, Page } from 'playwright-core';
import {
  describeInBrowser,
  newWatchedContext,
  seriousAccessibilityViolations,
  type PageProblems,
  npmStartAndBrowser,
} from '../support/browser.js';
import {
  apiAs,
  expectReadableAtPhoneWidth,
  openAccountSwitcher,
  topBarLayout,
} from '../support/console-screens.js';

/**
 * The accounts and people screens in Chromium against `npm start`: octo-demo creates and renames an
 * account, invites octo-teammate, who accepts in a second browser (own cookie jar); roles change, a
 * stale admin control gets the API's 403 in words, a removal, a declined invitation, the deletion.
 * The tests run in order and share the two signed-in browsers.
 */
// Each step waits for the page, never for a clock: on 2 busy shared cores a sign-in (the first calls
// load every handler) can take well over 10 s, so the bounds are generous.
jest.setTimeout(180_000);

describeInBrowser('console: accounts, members and invitations, in Chromium', () => {
  const run = npmStartAndBrowser('console-accounts');
  type Person = { context: BrowserContext; page: Page; watched: PageProblems };
  let demo: Person;
  let teammate: Person;
  let accountUrl: string;

  async function signIn(login: string): Promise<Person> {
    const person = await newWatchedContext(run.browser);
    person.context.setDefaultTimeout(60_000);
    await person.page.goto(`${run.stack.apiUrl}/console/`);
    await person.page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await person.page.getByRole('link', { name: `Continue as ${login}` }).click();
    // Back on the console: "commit", not "load" (which also waits for avatars from GitHub's host).
    await person.page.waitForURL(`${run.stack.apiUrl}/console/**`, { waitUntil: 'commit' });
    await person.page.getByRole('button', { name: 'Sign out' }).waitFor();
    return person;
  }

  /** The screen as it is: no serious accessibility violation; at 390 px no sideways scroll and no broken word. */
  async function checkScreen(page: Page): Promise<void> {
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await expectReadableAtPhoneWidth(page);
  }

  const status = (page: Page, text: string) => page.getByRole('status').filter({ hasText: text }).waitFor();
  const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name }).waitFor();

  test('without accounts, home invites to create one and tells of no pending invitations', async () => {
    demo = await signIn('octo-demo');
    await heading(demo.page, 'Your accounts');
    await demo.page.getByText('You do not belong to any account yet').waitFor();
    await demo.page.getByText('No pending invitations.').waitFor();
    await checkScreen(demo.page);
  });

  test('octo-demo creates an account (Name, Create) and renames it; the account list follows', async () => {
    const { page } = demo;
    await page.getByRole('link', { name: 'Create an account' }).click();
    await heading(page, 'Create an account');
    await checkScreen(page);
    await page.getByLabel('Name', { exact: true }).fill('People Team');
    await page.getByRole('button', { name: 'Create' }).click();
    await heading(page, 'People Team');
    await status(page, 'Created the account People Team. You are its owner.');
    await page.getByText('Your role: Owner').waitFor();
    accountUrl = page.url();
    expect(accountUrl).toMatch(/\/console\/accounts\/[^/]+$/);
    await checkScreen(page);

    await page.getByLabel('Name', { exact: true }).fill('People Team Renamed');
    await page.getByRole('button', { name: 'Rename' }).click();
    await status(page, 'Renamed the account to People Team Renamed.');
    await heading(page, 'People Team Renamed');
    // The header's account list is /me's: refreshed after the rename.
    await (await openAccountSwitcher(page)).getByRole('link', { name: 'People Team Renamed' }).waitFor();
    await page.keyboard.press('Escape');

    // A deep link survives a reload; home lists the account with my role.
    await page.reload();
    await heading(page, 'People Team Renamed');
    await page.getByRole('link', { name: 'Console' }).click();
    await page.getByRole('main').getByRole('link', { name: 'People Team Renamed' }).waitFor();
    await page.getByText('(Owner)').waitFor();
    await checkScreen(page);
  });

  test('octo-demo invites octo-teammate as admin; the invitation is pending', async () => {
    const { page } = demo;
    await page.goto(accountUrl);
    // The account's own section link (the only owner's "Leave" reason links to Members too).
    await page
      .getByRole('navigation', { name: /^Account / })
      .getByRole('link', { name: 'Members' })
      .click();
    await heading(page, 'Members of People Team Renamed');
    await page.getByLabel('GitHub login').fill('octo-teammate');
    await page.getByLabel('Role', { exact: true }).selectOption('admin');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await status(page, 'Invited octo-teammate as admin.');
    const pending = page.getByRole('region', { name: 'Pending invitations' });
    await pending
      .getByRole('row', { name: /octo-teammate/ })
      .getByText('Admin')
      .waitFor();
    await checkScreen(page);
    // The only owner cannot leave: "Leave" stays in their row, disabled, with the reason.
    const leave = page.getByRole('row', { name: /octo-demo/ }).getByRole('button', { name: /^Leave/ });
    expect(await leave.isDisabled()).toBe(true);
    await expect(leave.getAttribute('aria-describedby')).resolves.toBeTruthy();

    // An unknown login is explained, and nothing is added.
    await page.getByLabel('GitHub login').fill('no-such-user-here');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await status(page, 'GitHub has no user with that login. Check the spelling.');
    expect(await pending.getByRole('row').count()).toBe(2); // header + octo-teammate
  });

  test('octo-teammate, in a second browser, sees the invitation, accepts it and sees the account', async () => {
    teammate = await signIn('octo-teammate');
    const { page } = teammate;
    await page.getByRole('link', { name: 'You have 1 pending invitation' }).click();
    await heading(page, 'Your invitations');
    await page.getByText('octo-demo invites you as Admin').waitFor();
    await checkScreen(page);
    await page.getByRole('button', { name: 'Accept' }).click();
    await heading(page, 'People Team Renamed');
    await status(page, 'You joined People Team Renamed as admin.');
    await page.getByText('Your role: Admin').waitFor();
    // Only owners rename and delete: an admin is not offered either.
    expect(await page.getByRole('button', { name: 'Rename', exact: true }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete account' }).count()).toBe(0);
    await checkScreen(page);
  });

  test('a role changed meanwhile: the stale "Invite" gets the 403 in words, and the page shows the new role', async () => {
    await teammate.page
      .getByRole('navigation', { name: /^Account / })
      .getByRole('link', { name: 'Members' })
      .click();
    await heading(teammate.page, 'Members of People Team Renamed');
    // An admin may grant admin and member, never owner.
    const roles = await teammate.page.getByLabel('Role', { exact: true }).locator('option').allTextContents();
    expect(roles).toEqual(['Admin', 'Member']);

    await demo.page.reload();
    await demo.page.getByLabel('Role of octo-teammate').selectOption('member');
    await demo.page.getByRole('button', { name: 'Change role of octo-teammate' }).click();
    await status(demo.page, 'octo-teammate is now member.');
    await demo.page
      .getByRole('row', { name: /octo-teammate/ })
      .getByRole('cell', { name: 'Member', exact: true })
      .waitFor();

    // octo-teammate's page still offers what an admin may do; the API refuses it.
    await teammate.page.getByLabel('GitHub login').fill('octo-no-app');
    await teammate.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await status(teammate.page, 'Your role in this account does not allow this. Ask an owner or admin.');
    await teammate.page.getByText('Owners and admins invite people and change roles.').waitFor();
    expect(await teammate.page.getByRole('button', { name: 'Invite', exact: true }).count()).toBe(0);
    await checkScreen(teammate.page);
  });

  test('octo-demo removes octo-teammate, whose account list no longer has it', async () => {
    await demo.page.getByRole('button', { name: 'Remove octo-teammate' }).click();
    await status(demo.page, 'Removed octo-teammate from People Team Renamed.');
    await demo.page.getByRole('row', { name: /octo-teammate/ }).waitFor({ state: 'detached' });

    await teammate.page.goto(`${run.stack.apiUrl}/console/`);
    await heading(teammate.page, 'Your accounts');
    await teammate.page.getByText('You do not belong to any account yet').waitFor();
    // The account's page now says, in words, that it is not there for them.
    await teammate.page.goto(accountUrl);
    await teammate.page.getByText('This account does not exist, or you are not a member of it.').waitFor();
  });

  test('a declined invitation ends without joining, on both sides', async () => {
    await demo.page.getByLabel('GitHub login').fill('octo-teammate');
    await demo.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await status(demo.page, 'Invited octo-teammate as member.');

    await teammate.page.goto(`${run.stack.apiUrl}/console/invitations`);
    await teammate.page.getByText('octo-demo invites you as Member').waitFor();
    await teammate.page.getByRole('button', { name: 'Decline' }).click();
    await status(teammate.page, 'You declined the invitation to People Team Renamed.');
    await teammate.page.getByText('No pending invitations.').waitFor();
    const switcher = await openAccountSwitcher(teammate.page);
    await switcher.getByText('No accounts yet.').waitFor();
    expect(await switcher.getByRole('link', { name: 'People Team Renamed' }).count()).toBe(0);

    await demo.page.reload();
    await demo.page.getByRole('region', { name: 'Pending invitations' }).getByText('None.').waitFor();
  });

  test('octo-teammate joins again and leaves on their own', async () => {
    await demo.page.getByLabel('GitHub login').fill('octo-teammate');
    await demo.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await status(demo.page, 'Invited octo-teammate as member.');

    await teammate.page.goto(`${run.stack.apiUrl}/console/invitations`);
    await teammate.page.getByRole('button', { name: 'Accept' }).click();
    await teammate.page.getByText('Your role: Member').waitFor();
    await teammate.page.getByRole('button', { name: 'Leave People Team Renamed' }).click();
    await heading(teammate.page, 'Your accounts');
    await status(teammate.page, 'You left People Team Renamed.');
    await teammate.page.getByText('You do not belong to any account yet').waitFor();

    await demo.page.reload();
    await heading(demo.page, 'Members of People Team Renamed');
    expect(await demo.page.getByRole('row', { name: /octo-teammate/ }).count()).toBe(0);
  });

  test('the last owner cannot leave; octo-demo deletes the account after confirming', async () => {
    const { page } = demo;
    await page.goto(accountUrl);
    await heading(page, 'People Team Renamed');
    // Leaving cannot succeed: the button stays, disabled, described by the reason.
    const leave = page.getByRole('button', { name: 'Leave People Team Renamed' });
    expect(await leave.isDisabled()).toBe(true);
    await expect(leave.getAttribute('aria-describedby')).resolves.toBeTruthy();
    await page.getByText('You are the only owner.').waitFor();
    expect(await page.locator(`#${await leave.getAttribute('aria-describedby')}`).textContent()).toContain(
      'You are the only owner.',
    );
    await page.getByRole('button', { name: 'Delete account' }).click();
    await page
      .getByText('Delete People Team Renamed? Its members, invitations and installation links go with it.')
      .waitFor();
    await checkScreen(page);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Delete account' }).click();
    await page.getByRole('button', { name: 'Yes, delete People Team Renamed' }).click();
    await heading(page, 'Your accounts');
    await status(page, 'Deleted the account People Team Renamed.');
    await page.getByText('You do not belong to any account yet').waitFor();
  });

  test('seven accounts, two of the same name: the top bar stays one row under 80 px and tells them apart', async () => {
    const { page, context } = demo;
    const names = [
      'Design',
      'Design',
      'Platform Engineering',
      'Marketing Operations',
      'Data Science Guild',
      'Infrastructure and Reliability',
      'Customer Success Team',
    ];
    for (const name of names) {
      const created = await apiAs(context, run.stack.apiUrl).post('/accounts', { name });
      expect(created.status()).toBe(201);
    }
    await page.goto(`${run.stack.apiUrl}/console/`);
    await heading(page, 'Your accounts');
    const layout = await topBarLayout(page);
    expect(layout.rows).toBe(1);
    expect(layout.height).toBeLessThan(80);

    const switcher = await openAccountSwitcher(page);
    const links = switcher.getByRole('link');
    expect(await links.count()).toBe(7);
    const designs = await switcher.getByRole('link', { name: /^Design/ }).all();
    expect(designs).toHaveLength(2);
    const [first, second] = await Promise.all(designs.map((link) => link.textContent()));
    expect(first).not.toBe(second);
    // docs/console.md shows it (UPDATE_SCREENSHOTS=1, as the story test's screenshots).
    if (process.env.UPDATE_SCREENSHOTS === '1')
      await page.screenshot({
        path: resolve(import.meta.dirname, '../../docs/screenshots/account-switcher.png'),
        clip: { x: 0, y: 0, width: 1280, height: 480 },
      });
    // The open switcher at phone width: nothing scrolls sideways, no word breaks.
    await expectReadableAtPhoneWidth(page);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);

    // Choosing one opens it; the switcher then names it, and Escape closes the list.
    await designs[1]?.click();
    await page.getByRole('heading', { level: 1, name: 'Design' }).waitFor();
    await page.getByRole('button', { name: /^Account: Design/ }).waitFor();
    expect((await topBarLayout(page)).rows).toBe(1);
    await openAccountSwitcher(page);
    await page.keyboard.press('Escape');
    await page.getByRole('navigation', { name: 'Accounts' }).waitFor({ state: 'hidden' });
  });

  test('nothing went wrong in either browser', async () => {
    expect(demo.watched.problems).toEqual([]);
    expect(teammate.watched.problems).toEqual([]);
    await demo.context.close();
    await teammate.context.close();
  });
});
