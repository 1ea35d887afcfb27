import { jest } from '@jest/globals';
import type { BrowserContext, Page } from 'playwright-core';
import {
  describeInBrowser,
  newWatchedContext,
  type PageProblems,
  npmStartAndBrowser,
} from '../support/browser.js';
import {
  apiAs,
  createAccount,
  expectAccessibleAndNarrow,
  signInAs,
  untilRepositoriesSynced,
} from '../support/console-screens.js';

const ORG_INSTALLATION = 40001;

// Steps wait for the page, not a clock; on 2 busy shared cores a step can take long.
jest.setTimeout(240_000);

describeInBrowser('console: repositories screens, in Chromium against npm start', () => {
  let context: BrowserContext;
  let page: Page;
  let watched: PageProblems;
  let accountId: string;
  const run = npmStartAndBrowser('console-repositories');

  beforeAll(async () => {
    ({ context, page, watched } = await newWatchedContext(run.browser));
    await signInAs(page, run.stack.apiUrl, 'octo-demo');
    accountId = await createAccount(context, run.stack.apiUrl, 'Team R');
    const linked = await apiAs(context, run.stack.apiUrl).put(
      `/accounts/${accountId}/installations/${ORG_INSTALLATION}`,
    );
    expect(linked.status()).toBe(201);
    await untilRepositoriesSynced(context, run.stack.apiUrl, accountId);
  }, 180_000);

  afterAll(async () => {
    await context?.close();
  });

  const repositoryLinks = () => page.getByRole('table', { name: 'Repositories' }).getByRole('link');

  test('the list pages with "Load more", searches by name, filters by installation and shows each installation\'s status', async () => {
    await page.goto(`${run.stack.apiUrl}/console/accounts/${accountId}/repositories`);
    await page
      .getByRole('list', { name: 'Linked installations' })
      .getByText('octo-org: linked, all its repositories listed')
      .waitFor();
    await repositoryLinks().first().waitFor();
    expect(await repositoryLinks().count()).toBe(30);
    // The account's total, as the API counts it (its list answer without q).
    const listed = await apiAs(context, run.stack.apiUrl).get(`/accounts/${accountId}/repositories`);
    const { total } = (await listed.json()) as { total: number };
    expect(total).toBeGreaterThan(60);
    await page.getByText(`${total} repositories in this account, 30 shown.`).waitFor();
    expect(await repositoryLinks().first().textContent()).toBe('octo-org/project-template');
    await expectAccessibleAndNarrow(page);

    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByText(`${total} repositories in this account, 60 shown.`).waitFor();
    const names = await repositoryLinks().allTextContents();
    expect(names).toHaveLength(60);
    expect(new Set(names).size).toBe(60);

    await page.getByLabel('Search repositories').fill('web');
    await page.getByLabel('Installation', { exact: true }).selectOption({ label: 'octo-org' });
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'octo-org/web-app' }).waitFor();
    expect(await repositoryLinks().allTextContents()).toEqual(['octo-org/web-app']);
    await page.getByText('Repositories matching "web": 1 shown.').waitFor();
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    expect(watched.problems).toEqual([]);
  });

  test('a binary file is explained, not shown', async () => {
    await page.goto(`${run.stack.apiUrl}/console/accounts/${accountId}/repositories/octo-org/web-app`);
    await page.getByRole('navigation', { name: 'Files' }).getByRole('link', { name: 'pixel.png' }).click();
    await page.getByText(/This file is binary \(\d+ bytes\): it cannot be shown as text\./).waitFor();
    await expectAccessibleAndNarrow(page);
    expect(watched.problems).toEqual([]);
  });

  test('create from the template with a file, open it, preview a file, commit on a new branch, and see head_moved explained', async () => {
    await page.goto(`${run.stack.apiUrl}/console/accounts/${accountId}/repositories`);
    await page.getByRole('link', { name: 'New repository' }).click();
    await page.getByRole('heading', { name: 'Create a repository' }).waitFor();
    await page
      .getByLabel('Owner', { exact: true })
      .locator('option', { hasText: 'octo-org' })
      .waitFor({ state: 'attached' });
    await page.getByLabel('Repository name').fill('console-made');
    await page.getByLabel('Owner', { exact: true }).selectOption({ label: 'octo-org' });
    await page.getByLabel('Template (optional)').fill('octo-org/project-template');
    await page.getByRole('button', { name: 'Add a file' }).click();
    await page.getByLabel('File 1 path').fill('docs/hello.md');
    await page.getByLabel('File 1 content').fill('# Hello from the console\n');
    await expectAccessibleAndNarrow(page);
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    // The created repository opens: the template's files and the added one.
    await page.waitForURL(
      `${run.stack.apiUrl}/console/accounts/${accountId}/repositories/octo-org/console-made`,
    );
    await page.getByRole('heading', { name: 'octo-org/console-made' }).waitFor();
    const files = page.getByRole('navigation', { name: 'Files' });
    await files.getByRole('link', { name: 'hello.md' }).waitFor();
    await files.getByRole('link', { name: 'package.json' }).waitFor();
    await expectAccessibleAndNarrow(page);

    await files.getByRole('link', { name: 'README.md' }).click();
    await page.getByRole('heading', { name: 'README.md' }).waitFor();
    await expect(page.getByLabel('Contents of README.md').textContent()).resolves.toContain(
      '# Project template',
    );
    await expectAccessibleAndNarrow(page);

    // Edit the previewed file and commit it on a new branch (from the default branch).
    await page.getByRole('button', { name: 'Edit this file' }).click();
    await expect(page.getByLabel('File path').inputValue()).resolves.toBe('README.md');
    await page.getByLabel('File content').fill('# Changed in the console\n');
    await page.getByLabel('Commit message').fill('Change the README');
    await page.getByLabel('Branch', { exact: true }).fill('console-change');
    await page.getByRole('button', { name: 'Commit', exact: true }).click();
    await page
      .getByRole('status')
      .getByText(/Committed [0-9a-f]{7} on branch console-change\./)
      .waitFor();
    await page.getByText('Showing console-change').waitFor();
    const firstSaid = (await page.getByRole('status').textContent()) ?? '';
    await page.getByLabel('Contents of README.md').filter({ hasText: '# Changed in the console' }).waitFor();
    // The committed change starts the form over; the branch stays the one now shown.
    await expect(page.getByLabel('File path').inputValue()).resolves.toBe('');
    await expect(page.getByLabel('File content').inputValue()).resolves.toBe('');
    await expect(page.getByLabel('Commit message').inputValue()).resolves.toBe('');
    await expect(page.getByLabel('Branch', { exact: true }).inputValue()).resolves.toBe('console-change');

    // Meanwhile someone else moves the branch (through the API, as another client would).
    const elsewhere = await apiAs(context, run.stack.apiUrl).post(
      `/accounts/${accountId}/repositories/octo-org/console-made/commits`,
      {
        branch: 'console-change',
        message: 'Someone else',
        files: [{ path: 'other.md', content: 'meanwhile\n', encoding: 'utf-8' }],
      },
    );
    expect(elsewhere.status()).toBe(201);
    const movedTo = ((await elsewhere.json()) as { sha: string }).sha;

    await page.getByLabel('File path').fill('README.md');
    await page.getByLabel('File content').fill('# Changed again\n');
    await page.getByLabel('Commit message').fill('Change it again');
    await page.getByRole('button', { name: 'Commit', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'has changed since these files were loaded' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(`now at ${movedTo.slice(0, 7)}`);
    expect(await alert.textContent()).toContain('nothing was committed and nothing was overwritten');
    await expectAccessibleAndNarrow(page);

    // Reload offers the new head; the draft stays, and the commit now goes on top of it.
    await alert.getByRole('button', { name: 'Reload files' }).click();
    await files.getByRole('link', { name: 'other.md' }).waitFor();
    await expect(page.getByLabel('File content').inputValue()).resolves.toBe('# Changed again\n');
    await page.getByRole('button', { name: 'Commit', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Committed [0-9a-f]{7} on branch console-change\./, hasNotText: firstSaid })
      .waitFor();
    await page.getByLabel('Contents of README.md').filter({ hasText: '# Changed again' }).waitFor();

    const tree = await apiAs(context, run.stack.apiUrl).get(
      `/accounts/${accountId}/repositories/octo-org/console-made/tree?ref=console-change`,
    );
    const paths = ((await tree.json()) as { entries: { path: string }[] }).entries.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['README.md', 'docs/hello.md', 'other.md']));
    expect(watched.problems).toEqual([]);
  });

  test('a suspended installation is said so, and the others are still listed', async () => {
    const linked = await apiAs(context, run.stack.apiUrl).put(`/accounts/${accountId}/installations/40000`);
    expect(linked.status()).toBe(201);
    const suspended = await fetch(`${run.stack.emulatorUrl}/_emulator/installations/40000/suspend`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(suspended.status).toBe(200);
    await page.goto(`${run.stack.apiUrl}/console/accounts/${accountId}/repositories`);
    const statuses = page.getByRole('list', { name: 'Linked installations' });
    await statuses.getByText('octo-demo: suspended on GitHub: its repositories are not listed').waitFor();
    await statuses.getByText('octo-org: linked, all its repositories listed').waitFor();
    expect(await repositoryLinks().count()).toBe(30);
    await expectAccessibleAndNarrow(page);
    expect(watched.problems).toEqual([]);
  });
});
