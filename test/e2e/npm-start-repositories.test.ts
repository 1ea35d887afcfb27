import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import { HttpBrowser } from '../support/http-browser.js';
import { NPM_START_TIMEOUT_MS, startNpmStart, stopNpmStart, type NpmStart } from '../support/npm-start.js';

/**
 * Issue #13's story, as a person does it against `npm start` over HTTP: Bob lists octo-org's 1,000+
 * repositories through account A, finds one, reads it, commits to a new branch, and a stale commit is
 * refused. The emulator's call log shows what GitHub was asked.
 */
let app: NpmStart;
let admin: EmulatorAdmin;
let bob: HttpBrowser;
let accountA: string;
let accountB: string;

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

beforeAll(async () => {
  app = await startNpmStart({ dataDir: mkdtempSync(join(tmpdir(), 'npm-start-repos-')) });
  admin = new EmulatorAdmin(app.emulatorUrl);
  bob = await new HttpBrowser(app.apiUrl).signIn('octo-demo');
  accountA = (await json<{ id: string }>(await bob.send('/accounts', 'POST', { name: 'Team A' }), 201)).id;
  accountB = (await json<{ id: string }>(await bob.send('/accounts', 'POST', { name: 'Team B' }), 201)).id;
  const world = await admin.call<{ installations: Array<{ id: number; account: string }> }>('GET', '/world');
  const org = world.installations.find((installation) => installation.account === 'octo-org')?.id;
  await json(await bob.send(`/accounts/${accountA}/installations/${org}`, 'PUT'), 201);
}, NPM_START_TIMEOUT_MS);
afterAll(async () => {
  await admin?.setLatency(0).catch(() => undefined);
  if (app) await stopNpmStart(app);
});

const repos = (account: string) => `${app.apiUrl}/accounts/${account}/repositories`;

describe("Bob works in octo-org's repositories through npm start", () => {
  let mainHead: string;
  let committed: string;

  it('lists 1,000+ repositories from the index once npm start has synced it, with no GitHub call, and finds one with q', async () => {
    type Listed = {
      repositories: Array<{ fullName: string }>;
      nextCursor?: string;
      total?: number;
      installations: Array<{ status: string; syncedAt: string | null }>;
    };
    // npm start syncs the seeded installations in the background: bounded wait for the first sync.
    const deadline = Date.now() + 60_000;
    let listed = await json<Listed>(await bob.fetch(`${repos(accountA)}?limit=100`), 200);
    while (listed.installations.some((installation) => installation.status !== 'ok')) {
      if (Date.now() > deadline)
        throw new Error(`not synced within 60 s: ${JSON.stringify(listed.installations)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
      listed = await json<Listed>(await bob.fetch(`${repos(accountA)}?limit=100`), 200);
    }
    expect(listed.installations[0]?.syncedAt).toEqual(expect.any(String));
    await admin.clearCalls();
    const first = await json<Listed>(await bob.fetch(`${repos(accountA)}?limit=100`), 200);
    const second = await json<Listed>(
      await bob.fetch(`${repos(accountA)}?limit=100&cursor=${encodeURIComponent(first.nextCursor ?? '')}`),
      200,
    );
    expect(first.repositories).toHaveLength(100);
    expect(first.total).toBeGreaterThanOrEqual(1000);
    expect(second.repositories).toHaveLength(100);
    expect(new Set([...first.repositories, ...second.repositories].map((repo) => repo.fullName)).size).toBe(
      200,
    );
    // The list answers from the index: GitHub is not asked. (The link's own sync may still be reading
    // pages conditionally in the background: those are the reconciler's, not the list's.)
    // Nor are the redelivery job's reads (its timer may fire meanwhile on a slow machine).
    const background = new Set(['/installation/repositories', '/app/hook/deliveries']);
    const calls = await admin.calls();
    expect(calls.filter((call) => !background.has(call.route))).toEqual([]);

    const found = await json<{ repositories: Array<{ fullName: string; defaultBranch: string }> }>(
      await bob.fetch(`${repos(accountA)}?q=WEB-APP`),
      200,
    );
    expect(found.repositories.map((repo) => repo.fullName)).toEqual(['octo-org/web-app']);
  });

  it('reads the tree and package.json', async () => {
    const tree = await json<{ sha: string; entries: Array<{ path: string; type: string }> }>(
      await bob.fetch(`${repos(accountA)}/octo-org/web-app/tree`),
      200,
    );
    expect(tree.entries.map((entry) => entry.path)).toEqual(
      expect.arrayContaining(['README.md', 'package.json', 'src/index.ts', 'public/pixel.png']),
    );
    const file = await json<{ content: string; encoding: string; sha: string }>(
      await bob.fetch(`${repos(accountA)}/octo-org/web-app/contents/package.json`),
      200,
    );
    expect(file.encoding).toBe('base64');
    expect(JSON.parse(Buffer.from(file.content, 'base64').toString('utf8'))).toMatchObject({
      name: 'web-app',
    });
  });

  it('commits 3 files (one binary) and a deletion to a new branch in exactly one commit', async () => {
    const main = await json<{ commitSha: string }>(
      await bob.fetch(`${repos(accountA)}/octo-org/web-app/tree?ref=main`),
      200,
    );
    await admin.clearCalls();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]).toString('base64');
    const answer = await json<{ sha: string; branch: string; htmlUrl: string }>(
      await bob.send(`/accounts/${accountA}/repositories/octo-org/web-app/commits`, 'POST', {
        branch: 'feature/import',
        message: 'Import the starter files',
        files: [
          { path: 'docs/intro.md', content: '# Intro\n', encoding: 'utf-8' },
          { path: 'src/extra.ts', content: 'export const extra = 1;\n', encoding: 'utf-8' },
          { path: 'public/logo.png', content: png, encoding: 'base64' },
        ],
        deletions: ['README.md'],
      }),
      201,
    );
    expect(answer.branch).toBe('feature/import');
    committed = answer.sha;
    const calls = await admin.calls();
    const writes = calls
      .filter((call) => call.method !== 'GET')
      .map((call) => `${call.method} ${call.route}`);
    expect(writes.filter((w) => w === 'POST /repos/{owner}/{repo}/git/commits')).toHaveLength(1);
    expect(writes).toContain('POST /repos/{owner}/{repo}/git/refs');
    expect(writes).not.toContain('PATCH /repos/{owner}/{repo}/git/refs/{ref}'); // a new branch, never forced

    const branch = await json<{ entries: Array<{ path: string }> }>(
      await bob.fetch(`${repos(accountA)}/octo-org/web-app/tree?ref=feature/import`),
      200,
    );
    const paths = branch.entries.map((entry) => entry.path);
    expect(paths).toEqual(
      expect.arrayContaining(['docs/intro.md', 'src/extra.ts', 'public/logo.png', 'package.json']),
    );
    expect(paths).not.toContain('README.md');
    const logo = await json<{ content: string }>(
      await bob.fetch(`${repos(accountA)}/octo-org/web-app/contents/public/logo.png?ref=feature/import`),
      200,
    );
    expect(logo.content.replace(/\n/g, '')).toBe(png);
    mainHead = main.commitSha;
    expect(mainHead).toEqual(expect.any(String));
  });

  it('a second commit with a stale expectedHeadSha is 409 head_moved and changes nothing', async () => {
    await admin.clearCalls();
    const refused = await json<{ error: string; currentSha: string }>(
      await bob.send(`/accounts/${accountA}/repositories/octo-org/web-app/commits`, 'POST', {
        branch: 'feature/import',
        message: 'Too late',
        expectedHeadSha: mainHead,
        files: [{ path: 'late.txt', content: 'late\n', encoding: 'utf-8' }],
      }),
      409,
    );
    expect(refused).toMatchObject({ error: 'head_moved', currentSha: committed });
    expect((await admin.calls()).filter((call) => call.method !== 'GET')).toEqual([]);
  });

  it('account B, not linked to the installation, gets 404 on every route', async () => {
    const list = await json<{ repositories: unknown[] }>(await bob.fetch(repos(accountB)), 200);
    expect(list.repositories).toEqual([]);
    for (const response of [
      await bob.fetch(`${repos(accountB)}/octo-org/web-app/tree`),
      await bob.fetch(`${repos(accountB)}/octo-org/web-app/contents/package.json`),
      await bob.send(`/accounts/${accountB}/repositories/octo-org/web-app/commits`, 'POST', {
        branch: 'x',
        message: 'x',
        files: [{ path: 'x.txt', content: 'x', encoding: 'utf-8' }],
      }),
    ]) {
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: string }).error).toBe('repository_not_found');
    }
  });
});
