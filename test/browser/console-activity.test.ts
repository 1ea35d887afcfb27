import { jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { handler as recordActivity, resetActivityLogForTests } from '../../functions/activity-log/handler.js';
import {
  domainEvent,
  githubActor,
  userActor,
  type DomainEvent,
} from '../../functions/shared/events/domain-event.js';
import { lambdaContext } from '../../local/api-event.js';
import { streamBatch } from '../support/activity.js';
import {
  describeInBrowser,
  newWatchedContext,
  type PageProblems,
  npmStartAndBrowser,
} from '../support/browser.js';
import { createAccount, expectAccessibleAndNarrow, signInAs } from '../support/console-screens.js';
import { TEST_DYNAMODB_ENV } from '../support/test-settings.js';

/**
 * The Activity screen in Chromium against `npm start`: an account's log, seeded through the
 * activity-log function into npm start's table (as its stream would feed it), newest first with who,
 * what and when, a type filter, and "Load more" for older events; readable at 1280 and 390 px.
 */
jest.setTimeout(180_000);

describeInBrowser('console: the Activity screen, in Chromium', () => {
  const run = npmStartAndBrowser('console-activity');
  let page: Page;
  let watched: PageProblems;
  let accountId: string;
  const seeded: DomainEvent[] = [];

  /** The events into npm start's table, through the recorder (the stream's consumer). */
  async function record(events: DomainEvent[]): Promise<void> {
    Object.assign(process.env, {
      TABLE_NAME: 'github-app-accounts',
      DYNAMODB_ENDPOINT: run.stack.dynamoEndpoint,
      // npm start's own DynamoDB limits (test/support/npm-start.ts): its DynamoDB Local writes to disk.
      ...TEST_DYNAMODB_ENV,
    });
    resetActivityLogForTests();
    const answer = await recordActivity(streamBatch(events), lambdaContext('activity-log', 60_000));
    expect(answer).toEqual({ batchItemFailures: [] });
  }

  const rows = () => page.getByRole('table', { name: 'Activity' }).locator('tbody tr');

  beforeAll(async () => {
    const person = await newWatchedContext(run.browser);
    person.context.setDefaultTimeout(60_000);
    ({ page, watched } = person);
    await signInAs(page, run.stack.apiUrl, 'octo-demo');
    accountId = await createAccount(person.context, run.stack.apiUrl, 'Activity Team');
    const demo = userActor(1, 'octo-demo');
    const base = Date.now() - 3_600_000;
    const at = (minute: number) => new Date(base + minute * 60_000).toISOString();
    const account = { id: accountId, name: 'Activity Team' };
    // 28 pushes (older), then a member who joined and a repository created (newest).
    for (let minute = 0; minute < 28; minute++)
      seeded.push(
        domainEvent(
          'repository.pushed',
          { actor: githubActor('octo-demo'), correlationId: `delivery-${minute}` },
          [accountId],
          {
            repository: { id: 9, owner: 'octo-org', name: 'web-app', installationId: 5 },
            ref: 'refs/heads/main',
            before: 'a'.repeat(40),
            after: 'b'.repeat(40),
            commitCount: minute + 1,
            compareUrl: 'https://github.com/octo-org/web-app/compare/a...b',
            pusher: { name: 'octo-demo', login: 'octo-demo' },
          },
          { occurredAt: at(minute) },
        ),
      );
    seeded.push(
      domainEvent(
        'member.joined',
        { actor: userActor(2, 'octo-teammate'), correlationId: 'request-joined' },
        [accountId],
        { account, member: { id: 2, login: 'octo-teammate' }, role: 'admin' },
        { occurredAt: at(40) },
      ),
      domainEvent(
        'repository.created',
        { actor: demo, correlationId: 'request-created' },
        [accountId],
        {
          repository: { id: 10, owner: 'octo-org', name: 'activity-demo', installationId: 5 },
          private: true,
          defaultBranch: 'main',
        },
        { occurredAt: at(50) },
      ),
    );
    await record(seeded);
    // npm start's stream reader records the account's own creation too (docs/events.md "Activity log").
    const deadline = Date.now() + 30_000;
    for (;;) {
      const log = (await (
        await person.context.request.get(`${run.stack.apiUrl}/accounts/${accountId}/events?type=account.`)
      ).json()) as { events: Array<{ type: string }> };
      if (log.events.some((event) => event.type === 'account.created')) break;
      if (Date.now() > deadline) throw new Error('the account.created event never reached the activity log');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  test('the account’s events, newest first: who, what, when; 25 a page, then "Load more"', async () => {
    await page.goto(`${run.stack.apiUrl}/console/accounts/${accountId}`);
    await page
      .getByRole('navigation', { name: 'Account Activity Team' })
      .getByRole('link', { name: 'Activity' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Activity' }).waitFor();
    await rows().nth(24).waitFor();
    expect(await rows().count()).toBe(25);
    // Newest first: the account's real creation, then the seeded events.
    expect(await rows().nth(0).innerText()).toContain('created the account "Activity Team"');
    expect(await rows().nth(1).innerText()).toContain('created the repository octo-org/activity-demo');
    expect(await rows().nth(1).innerText()).toContain('octo-demo');
    expect(await rows().nth(2).innerText()).toContain('octo-teammate joined as admin');
    expect(await rows().nth(3).innerText()).toContain('pushed 28 commits to main in octo-org/web-app');
    expect(await rows().nth(1).locator('time').getAttribute('datetime')).toBe(
      seeded.at(-1)?.detail.occurredAt,
    );
    await expectAccessibleAndNarrow(page);

    await page.getByRole('button', { name: 'Load more' }).click();
    await rows().nth(30).waitFor();
    expect(await rows().count()).toBe(31);
    expect(await rows().nth(30).innerText()).toContain('pushed 1 commit to main');
    await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
    await expectAccessibleAndNarrow(page);
  });

  test('the type filter narrows the list to one kind of event', async () => {
    await page.getByLabel('Show').selectOption({ label: 'Members and invitations' });
    await page.getByText('octo-teammate joined as admin').waitFor();
    await page.waitForFunction(
      `document.querySelectorAll('table[aria-label="Activity"] tbody tr').length === 1`,
    );
    await page.getByLabel('Show').selectOption('repository.created');
    await page.getByText('created the repository octo-org/activity-demo').waitFor();
    await page.waitForFunction(
      `document.querySelectorAll('table[aria-label="Activity"] tbody tr').length === 1`,
    );
    await expectAccessibleAndNarrow(page);
    expect(watched.problems).toEqual([]);
  });
});
