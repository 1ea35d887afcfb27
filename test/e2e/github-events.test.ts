import { createAppAuth } from '@octokit/auth-app';
import { request as octokitRequest } from '@octokit/request';
import type { EventType } from '../../functions/shared/events/catalog.js';
import type { DomainEvent } from '../../functions/shared/events/domain-event.js';
import { getServices } from '../../functions/shared/services.js';
import { InstallationStore } from '../../functions/shared/store/installation-store.js';
import { installationPayload } from '../support/events.js';
import { validOutboxEvents } from '../support/outbox.js';
import { api, postWebhook, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * What GitHub reports becomes domain events (issue #24, docs/events.md "What GitHub reports"): each
 * applied change once, in the change's transaction, to every account linked to the installation; an
 * ignored, repeated or redelivered delivery reports nothing. And the emulator sends `push` for every
 * commit, through REST and through its control API.
 */
let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService({ appEvents: ['repository', 'push'] });
});
afterAll(() => fx?.close());

type DeliverySummary = {
  guid: string;
  event: string;
  action: string | null;
  installation_id: number | null;
  status_code: number | null;
  payload: Record<string, unknown>;
};

const store = () => new InstallationStore(getServices().table);
const appId = () => Number(fx.secrets.githubApp.appId);

async function deliveries(): Promise<DeliverySummary[]> {
  return (await fx.admin.call<{ deliveries: DeliverySummary[] }>('GET', '/deliveries')).deliveries;
}

/** The delivery an emulator control call answered with (`delivery` or the first of `deliveries`). */
function guidOf(answer: unknown): string {
  const { delivery, deliveries: list } = answer as {
    delivery?: { guid: string };
    deliveries?: Array<{ guid: string }>;
  };
  const guid = delivery?.guid ?? list?.[0]?.guid;
  if (!guid) throw new Error(`no delivery in ${JSON.stringify(answer)}`);
  return guid;
}

async function senderOf(guid: string): Promise<string> {
  const delivery = (await deliveries()).find((candidate) => candidate.guid === guid);
  return String((delivery?.payload.sender as { login?: string } | undefined)?.login);
}

/** The events a delivery reported (each checked against its published schema). */
async function eventsOf(guid: string, types?: readonly EventType[]): Promise<DomainEvent[]> {
  return (await validOutboxEvents(fx.table, types)).filter((event) => event.detail.correlationId === guid);
}

const sorted = (ids: readonly string[]) => [...ids].sort();

/** An organisation with the App installed (its `created` delivery applied) and linked to `accounts`. */
async function linkedInstallation(login: string, accounts: readonly string[]): Promise<number> {
  await fx.admin.createUser({ login, type: 'Organization' });
  const { installation } = await fx.admin.install({ appId: appId(), account: login });
  const details = await store().getDetails(installation.id);
  if (!details) throw new Error('the created delivery was not applied');
  for (const accountId of accounts)
    await store().linkWithDetails(details, accountId, 1, { writeDetails: false });
  return installation.id;
}

describe('installation events', () => {
  it('suspend, unsuspend and accepted permissions each report once, to every linked account, as GitHub', async () => {
    const id = await linkedInstallation('ev-org-lifecycle', ['ev-team-a', 'ev-team-b']);
    const installation = { id, accountLogin: 'ev-org-lifecycle', accountType: 'Organization' };
    const suspend = guidOf(await fx.admin.suspend(id));
    const unsuspend = guidOf(await fx.admin.unsuspend(id));
    const permissions = { contents: 'write', metadata: 'read', issues: 'read' };
    const accepted = guidOf(await fx.admin.call('POST', `/installations/${id}/permissions`, { permissions }));

    for (const [guid, type, extra] of [
      [suspend, 'installation.suspended', {}],
      [unsuspend, 'installation.unsuspended', {}],
      [accepted, 'installation.permissions_accepted', { permissions }],
    ] as const) {
      const events = await eventsOf(guid);
      expect(events.map((event) => event.type)).toEqual([type]);
      expect(sorted(events[0]?.detail.platformAccountIds ?? [])).toEqual(['ev-team-a', 'ev-team-b']);
      expect(events[0]?.detail).toMatchObject({
        actor: { type: 'github', login: await senderOf(guid) },
        correlationId: guid,
        installation,
        ...extra,
      });
    }

    // A redelivery of an applied delivery is a duplicate: nothing more is reported.
    const before = (await validOutboxEvents(fx.table)).length;
    await fx.admin.redeliver(suspend);
    expect((await deliveries()).filter((d) => d.guid === suspend).map((d) => d.status_code)).toEqual([
      200, 200,
    ]);
    expect(await eventsOf(suspend)).toHaveLength(1);
    expect(await validOutboxEvents(fx.table)).toHaveLength(before);
  });

  it('an older event (ignored) and a repeat of the stored state under another delivery report nothing', async () => {
    const id = await linkedInstallation('ev-org-order', ['ev-team-c']);
    const stored = await store().getDetails(id);
    const login = 'ev-org-order';
    const current = installationPayload(id, 'suspend', { suspended_at: null }, login);
    // The account id as the emulator made it (the payload helper's is made up).
    const account = { login, id: stored?.accountId, type: 'Organization' };
    const at = (iso: string, suspendedAt: string | null) => ({
      ...current,
      installation: {
        ...current.installation,
        account,
        permissions: stored?.permissions,
        events: stored?.events,
        suspended_at: suspendedAt,
        updated_at: iso,
      },
    });
    const older = await postWebhook(fx, 'installation', at('2001-01-01T00:00:00Z', '2001-01-01T00:00:00Z'));
    expect(older).toMatchObject({ status: 202, body: { status: 'ignored' } });

    const newer = at('2099-01-01T00:00:00Z', '2099-01-01T00:00:00Z');
    const first = await postWebhook(fx, 'installation', newer, 'ev-order-first');
    expect(first.status).toBe(200);
    const repeat = await postWebhook(fx, 'installation', newer, 'ev-order-repeat');
    expect(repeat.status).toBe(200);
    const all = await validOutboxEvents(fx.table);
    const mine = all.filter((event) => 'installation' in event.detail && event.detail.installation.id === id);
    expect(mine.map((event) => [event.type, event.detail.correlationId])).toEqual([
      ['installation.suspended', 'ev-order-first'],
    ]);
  });

  it('concurrent deliveries for one installation report each committed flip once, ending in the stored state', async () => {
    const login = 'ev-org-race';
    const id = await linkedInstallation(login, ['ev-team-race']);
    const stored = await store().getDetails(id);
    const base = installationPayload(id, 'suspend', {}, login);
    const payload = (second: number) => ({
      ...base,
      action: second % 2 ? 'suspend' : 'unsuspend',
      installation: {
        ...base.installation,
        account: { login, id: stored?.accountId, type: 'Organization' },
        permissions: stored?.permissions,
        events: stored?.events,
        suspended_at: second % 2 ? `2100-01-01T00:00:${String(second).padStart(2, '0')}Z` : null,
        updated_at: `2100-01-01T00:00:${String(second).padStart(2, '0')}Z`,
      },
    });
    const answers = await Promise.all(
      // Eight at once: within REPORT_ATTEMPTS (apply-event.ts), however they interleave.
      Array.from({ length: 8 }, (_, index) => postWebhook(fx, 'installation', payload(index + 1))),
    );
    expect(answers.map((answer) => answer.status).filter((status) => status >= 300)).toEqual([]);
    const events = (await validOutboxEvents(fx.table)).filter(
      (event) => 'installation' in event.detail && event.detail.installation.id === id,
    );
    const count = (type: EventType) => events.filter((event) => event.type === type).length;
    const flips = count('installation.suspended') - count('installation.unsuspended');
    expect(events.length).toBe(count('installation.suspended') + count('installation.unsuspended'));
    // Flips alternate from the unsuspended start (events of one millisecond may tie, so they are
    // counted, not ordered): as many suspensions as unsuspensions, one more if it ends suspended.
    // The newest (second 8, an unsuspension) is stored last, whatever the interleaving.
    expect((await store().getDetails(id))?.suspendedAt).toBeNull();
    expect(flips).toBe(0);
  });

  it('a rename reports the new and the previous login', async () => {
    const id = await linkedInstallation('ev-org-old-name', ['ev-team-d']);
    const guid = guidOf(await fx.admin.renameUser('ev-org-old-name', 'ev-org-new-name'));
    const events = await eventsOf(guid);
    expect(events.map((event) => event.type)).toEqual(['installation.renamed']);
    expect(events[0]?.detail).toMatchObject({
      platformAccountIds: ['ev-team-d'],
      installation: { id, accountLogin: 'ev-org-new-name', accountType: 'Organization' },
      previousLogin: 'ev-org-old-name',
    });
  });

  it('an uninstall reports once to the accounts linked before it; its redelivery reports nothing', async () => {
    const id = await linkedInstallation('ev-org-gone', ['ev-team-e', 'ev-team-f']);
    const guid = guidOf(await fx.admin.uninstall(id));
    const events = await eventsOf(guid);
    expect(events.map((event) => event.type)).toEqual(['installation.deleted']);
    expect(sorted(events[0]?.detail.platformAccountIds ?? [])).toEqual(['ev-team-e', 'ev-team-f']);
    expect(events[0]?.detail).toMatchObject({
      installation: { id, accountLogin: 'ev-org-gone' },
      actor: { type: 'github' },
    });
    expect(await store().linkedAccountIds(id)).toEqual([]);
    await fx.admin.redeliver(guid);
    expect(await eventsOf(guid)).toHaveLength(1);
  });
});

describe('installation.deleted with many accounts', () => {
  it('names all 60 linked accounts in one event (beyond one transaction of link removals), and unlinks them all', async () => {
    const accounts = Array.from({ length: 60 }, (_, index) => `ev-many-${String(index).padStart(2, '0')}`);
    const id = await linkedInstallation('ev-org-many', accounts);
    const guid = guidOf(await fx.admin.uninstall(id));
    const events = await eventsOf(guid);
    expect(events.map((event) => event.type)).toEqual(['installation.deleted']);
    expect(sorted(events[0]?.detail.platformAccountIds ?? [])).toEqual(accounts);
    expect(await store().linkedAccountIds(id)).toEqual([]);
    expect(await store().getDetails(id)).toBeUndefined();
  });
});

describe('user.authorization_revoked', () => {
  it('reports once to every account the user belongs to', async () => {
    await fx.admin.createUser({ login: 'ev-revoker' });
    const call = api(fx, await signIn(fx, 'ev-revoker'));
    const ids: string[] = [];
    for (const name of ['Revoker One', 'Revoker Two']) {
      const response = await call('/accounts', { method: 'POST', json: { name } });
      expect(response.status).toBe(201);
      ids.push(((await response.json()) as { id: string }).id);
    }
    const guid = guidOf(await fx.admin.call('POST', '/authorizations/revoke', { login: 'ev-revoker' }));
    const userId = fx.emulator.world.accountByLogin('ev-revoker')?.id;
    const events = await eventsOf(guid);
    expect(events.map((event) => event.type)).toEqual(['user.authorization_revoked']);
    expect(sorted(events[0]?.detail.platformAccountIds ?? [])).toEqual(sorted(ids));
    expect(events[0]?.detail).toMatchObject({
      user: { id: userId, login: 'ev-revoker' },
      actor: { type: 'github', login: 'ev-revoker' },
    });
    // Revoked again (the token is gone): nothing to report.
    const again = guidOf(await fx.admin.call('POST', '/authorizations/revoke', { login: 'ev-revoker' }));
    expect(await eventsOf(again)).toEqual([]);
  });
});

describe('push', () => {
  it('a push to a repository of an installation linked to two accounts yields one event naming both', async () => {
    const id = await linkedInstallation('ev-push-org', ['ev-team-g', 'ev-team-h']);
    const [repo] = await fx.admin.createRepositories('ev-push-org', { names: ['app'] });
    const head = fx.emulator.world.repository('ev-push-org', 'app')?.git.refs.get('refs/heads/main');
    const pushed = await fx.admin.pushCommit('ev-push-org', 'app', {
      files: { 'src/index.ts': 'export {};\n' },
      message: 'Add the entry point',
    });
    expect(pushed.before).toBe(head);
    const guid = guidOf(pushed);
    const events = await eventsOf(guid);
    expect(events.map((event) => event.type)).toEqual(['repository.pushed']);
    expect(sorted(events[0]?.detail.platformAccountIds ?? [])).toEqual(['ev-team-g', 'ev-team-h']);
    const pusher = await senderOf(guid);
    expect(events[0]?.detail).toMatchObject({
      repository: { id: repo?.id, owner: 'ev-push-org', name: 'app', installationId: id },
      ref: 'refs/heads/main',
      before: head,
      after: pushed.sha,
      commitCount: 1,
      compareUrl: `${fx.emulator.url}/ev-push-org/app/compare/${String(head).slice(0, 12)}...${pushed.sha.slice(0, 12)}`,
      pusher: { name: pusher, login: pusher },
      actor: { type: 'github', login: pusher },
      correlationId: guid,
    });
    // The commits are never inlined.
    expect(events[0]?.detail).not.toHaveProperty('commits');
    await fx.admin.redeliver(guid);
    expect(await eventsOf(guid)).toHaveLength(1);
  });

  it('a push to an installation no account links yields no event', async () => {
    await fx.admin.createUser({ login: 'ev-unlinked-org', type: 'Organization' });
    await fx.admin.install({ appId: appId(), account: 'ev-unlinked-org' });
    await fx.admin.createRepositories('ev-unlinked-org', { names: ['lonely'] });
    const pushed = await fx.admin.pushCommit('ev-unlinked-org', 'lonely', { files: { 'a.txt': 'a' } });
    const guid = guidOf(pushed);
    expect((await deliveries()).find((d) => d.guid === guid)?.status_code).toBe(202);
    expect(await eventsOf(guid)).toEqual([]);
  });

  it('a malformed push is refused 400 invalid_payload, naming the fields', async () => {
    const [example] = (await deliveries()).filter((d) => d.event === 'push');
    const payload = { ...example?.payload, before: 'not-a-sha', compare: 'nowhere' };
    const answer = await postWebhook(fx, 'push', payload);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_payload' });
    expect(String(answer.body.message)).toMatch(/before.*compare|compare.*before/);
  });
});

describe('the emulator sends push for every commit', () => {
  async function pushesAfter(count: number) {
    return (await deliveries()).filter((d) => d.event === 'push').slice(count);
  }

  it('through REST (git data: a ref updated, a ref created) and through the control API, once each', async () => {
    await fx.admin.createUser({ login: 'ev-rest-org', type: 'Organization' });
    const { installation } = await fx.admin.install({ appId: appId(), account: 'ev-rest-org' });
    await fx.admin.createRepositories('ev-rest-org', { names: ['svc'] });
    const auth = createAppAuth({
      appId: appId(),
      privateKey: fx.secrets.githubApp.privateKey,
      request: octokitRequest.defaults({ baseUrl: fx.emulator.url }),
    });
    const { token } = await auth({ type: 'installation', installationId: installation.id });
    const request = octokitRequest.defaults({
      baseUrl: fx.emulator.url,
      headers: { authorization: `token ${token}` },
    });
    const repo = { owner: 'ev-rest-org', repo: 'svc' };
    const { data: main } = await request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
      ...repo,
      ref: 'heads/main',
    });
    const base = main.object.sha;
    const { data: baseCommit } = await request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
      ...repo,
      commit_sha: base,
    });
    const { data: tree } = await request('POST /repos/{owner}/{repo}/git/trees', {
      ...repo,
      base_tree: baseCommit.tree.sha,
      tree: [{ path: 'docs/notes.md', mode: '100644', type: 'blob', content: '# Notes\n' }],
    });
    const { data: commit } = await request('POST /repos/{owner}/{repo}/git/commits', {
      ...repo,
      message: 'Notes',
      tree: tree.sha,
      parents: [base],
    });

    let seen = (await deliveries()).filter((d) => d.event === 'push').length;
    await request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
      ...repo,
      ref: 'heads/main',
      sha: commit.sha,
    });
    const [updated, ...moreUpdated] = await pushesAfter(seen);
    expect(moreUpdated).toEqual([]);
    expect(updated?.installation_id).toBe(installation.id);
    expect(updated?.payload).toMatchObject({
      ref: 'refs/heads/main',
      before: base,
      after: commit.sha,
      created: false,
      deleted: false,
      forced: false,
      installation: { id: installation.id },
      commits: [{ id: commit.sha, message: 'Notes', added: ['docs/notes.md'], removed: [], modified: [] }],
      head_commit: { id: commit.sha },
      pusher: { name: `${fx.secrets.githubApp.slug}[bot]` },
    });

    seen += 1;
    await request('POST /repos/{owner}/{repo}/git/refs', {
      ...repo,
      ref: 'refs/heads/feature',
      sha: commit.sha,
    });
    const [created, ...moreCreated] = await pushesAfter(seen);
    expect(moreCreated).toEqual([]);
    expect(created?.payload).toMatchObject({
      ref: 'refs/heads/feature',
      before: '0'.repeat(40),
      after: commit.sha,
      created: true,
    });

    seen += 1;
    const control = await fx.admin.pushCommit('ev-rest-org', 'svc', {
      files: { 'docs/notes.md': null, 'README.md': 'changed\n' },
      branch: 'feature',
    });
    const [pushed, ...morePushed] = await pushesAfter(seen);
    expect(morePushed).toEqual([]);
    expect(control.before).toBe(commit.sha);
    expect(pushed?.payload).toMatchObject({
      ref: 'refs/heads/feature',
      before: commit.sha,
      after: control.sha,
      commits: [{ id: control.sha, removed: ['docs/notes.md'], modified: ['README.md'] }],
    });
  });
});
