import type { InstallationToken } from '../../local/github-emulator/world.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * Repository creation mints tokens narrowed to what it touches (docs/repository-scope.md, "Tokens"):
 * the creation call's names no repository (the new one does not exist yet) but grants no contents
 * write; everything after names the new repository alone. Read from the tokens the GitHub emulator
 * issued (its world keeps them), on fresh organisations so that no earlier test's token is counted.
 */
let fx: ServiceFixture;
let account: string;
let alice: ReturnType<typeof api>;
const installs: Record<string, number> = {};
const ORGS = ['narrow-org', 'narrow-template-org', 'narrow-retry-org', 'narrow-scoped-org'];

beforeAll(async () => {
  fx = await startService();
  const appId = Number(fx.secrets.githubApp.appId);
  await fx.admin.createUser({ login: 'alice' });
  // members: read lets an organisation's owner link it.
  const permissions = {
    administration: 'write',
    contents: 'write',
    metadata: 'read',
    members: 'read',
    workflows: 'write',
  };
  for (const org of ORGS) {
    await fx.admin.createUser({ login: org, type: 'Organization', admins: ['alice'] });
    // A repository the creations must not reach.
    await fx.admin.createRepositories(org, { names: ['existing'], files: { 'README.md': '# existing\n' } });
    installs[org] = (await fx.admin.install({ appId, account: org, permissions })).installation.id;
  }
  await fx.admin.createRepositories('narrow-template-org', {
    names: ['tpl'],
    isTemplate: true,
    files: { 'README.md': '# template\n', 'src/index.ts': 'export {};\n' },
  });
  alice = api(fx, await signIn(fx, 'alice'));
  account = (
    (await (await alice('/accounts', { method: 'POST', json: { name: 'Narrow' } })).json()) as { id: string }
  ).id;
  for (const org of ORGS) {
    expect(
      (await alice(`/accounts/${account}/installations/${installs[org]}`, { method: 'PUT' })).status,
    ).toBe(201);
  }
});
afterAll(() => fx?.close());

const create = (body: Record<string, unknown>) =>
  alice(`/accounts/${account}/repositories`, { method: 'POST', json: body });
const mints = async () =>
  (await fx.admin.calls('POST /app/installations/{installation_id}/access_tokens')).length;
const repoId = (owner: string, name: string) => fx.emulator.world.repository(owner, name)?.id ?? -1;

const describeToken = (token: InstallationToken) => ({
  repositories: token.repositoryIds ? [...token.repositoryIds].sort((a, b) => a - b) : ('all' as const),
  permissions: token.permissions,
});

/** Every token the emulator holds for the organisation's installation (in issue order): reach and grants. */
const tokensOf = (org: string) =>
  [...fx.emulator.world.installationTokens.values()]
    .filter((token) => token.installationId === installs[org])
    .map(describeToken);

/** What `run` answered, and the tokens the emulator issued for the organisation's installation meanwhile. */
async function issuedDuring(org: string, run: () => Promise<Response>) {
  const before = new Set(fx.emulator.world.installationTokens.keys());
  const response = await run();
  const issued = [...fx.emulator.world.installationTokens.values()]
    .filter((token) => token.installationId === installs[org] && !before.has(token.token))
    .map(describeToken);
  return { status: response.status, issued };
}

/** The tokens that can write contents (or workflows) somewhere, and where. */
const writers = (org: string) =>
  tokensOf(org).filter(
    (token) => token.permissions.contents === 'write' || token.permissions.workflows === 'write',
  );

const files = [
  { path: 'README.md', content: '# svc\n' },
  { path: '.github/workflows/ci.yml', content: 'on: push\n' },
];

describe('tokens of an organisation repository creation', () => {
  it('creation names no repository and writes no contents; the files go in with a token of the new repository alone', async () => {
    await fx.admin.clearCalls();
    const { status, issued } = await issuedDuring('narrow-org', () =>
      create({ installationId: installs['narrow-org'], name: 'Svc-One', files }),
    );
    expect(status).toBe(201);
    const created = repoId('narrow-org', 'svc-one');
    expect(issued).toEqual([
      { repositories: 'all', permissions: { administration: 'write', metadata: 'read' } },
      { repositories: [created], permissions: { contents: 'write', workflows: 'write' } },
    ]);
    // Two mints with nothing cached: one more than a single installation-wide token.
    expect(await mints()).toBe(2);
    // The initial commit was made, and only a token naming the new repository could have made it.
    const repo = fx.emulator.world.repository('narrow-org', 'svc-one');
    const head = repo?.git.refs.get('refs/heads/main') ?? '';
    expect(repo?.git.resolvePath(head, '.github/workflows/ci.yml')).toMatchObject({ kind: 'blob' });
    expect(writers('narrow-org').every((token) => token.repositories !== 'all')).toBe(true);
    const reached = writers('narrow-org').flatMap((token) =>
      token.repositories === 'all' ? [] : token.repositories,
    );
    expect(reached).toEqual([created]);
    expect(reached).not.toContain(repoId('narrow-org', 'existing'));
  });

  it('the next creation reuses the cached creation token and mints one token for its own repository', async () => {
    await fx.admin.clearCalls();
    const { status, issued } = await issuedDuring('narrow-org', () =>
      create({
        installationId: installs['narrow-org'],
        name: 'svc-two',
        files: [{ path: 'README.md', content: '# two\n' }],
      }),
    );
    expect(status).toBe(201);
    expect(await mints()).toBe(1);
    expect(issued).toEqual([
      { repositories: [repoId('narrow-org', 'svc-two')], permissions: { contents: 'write' } },
    ]);
    // The account's first commit there finds that token in the cache: the same scope as a commit's.
    await fx.admin.clearCalls();
    const commit = await alice(`/accounts/${account}/repositories/narrow-org/svc-two/commits`, {
      method: 'POST',
      json: {
        branch: 'main',
        message: 'More',
        files: [{ path: 'more.txt', content: 'more\n', encoding: 'utf-8' }],
      },
    });
    expect(commit.status).toBe(201);
    expect(await mints()).toBe(0);
  });

  it('a creation without files mints nothing but the creation token (none here: it is cached)', async () => {
    await fx.admin.clearCalls();
    const { status, issued } = await issuedDuring('narrow-org', () =>
      create({ installationId: installs['narrow-org'], name: 'bare' }),
    );
    expect(status).toBe(201);
    expect(await mints()).toBe(0);
    expect(issued).toEqual([]);
  });

  it('from a template: the creation token reads contents, writes none; the files are committed with the new repository’s token', async () => {
    const { status, issued } = await issuedDuring('narrow-template-org', () =>
      create({
        installationId: installs['narrow-template-org'],
        name: 'from-tpl',
        template: { owner: 'narrow-template-org', repo: 'tpl' },
        files: [{ path: 'NOTES.md', content: 'notes\n' }],
      }),
    );
    expect(status).toBe(201);
    expect(issued).toEqual([
      {
        repositories: 'all',
        permissions: { administration: 'write', contents: 'read', metadata: 'read' },
      },
      { repositories: [repoId('narrow-template-org', 'from-tpl')], permissions: { contents: 'write' } },
    ]);
  });

  it('a retry after a failed commit finishes with a token of the new repository alone', async () => {
    const org = 'narrow-retry-org';
    const body = { installationId: installs[org], name: 'half', files };
    const issued: Array<ReturnType<typeof describeToken>> = [];
    const step = async (run: () => Promise<Response>) => {
      const outcome = await issuedDuring(org, run);
      issued.push(...outcome.issued);
      return outcome.status;
    };
    await fx.admin.fault({
      method: 'POST',
      route: '/repos/{owner}/{repo}/git/commits',
      status: 500,
      count: 5,
    });
    expect(await step(() => create(body))).toBe(502);
    await fx.admin.call('DELETE', '/faults');
    // Another request for the same name looks at GitHub with a read-only token of that name alone.
    expect(await step(() => create({ ...body, files: [{ path: 'other.txt', content: 'x' }] }))).toBe(409);
    expect(await step(() => create(body))).toBe(201);
    const half = repoId(org, 'half');
    expect(issued).toContainEqual({ repositories: [half], permissions: { metadata: 'read' } });
    for (const token of issued) {
      if (token.repositories === 'all') {
        expect(token.permissions).toEqual({ administration: 'write', metadata: 'read' });
      } else {
        expect(token.repositories).toEqual([half]);
      }
    }
    expect(writers(org)).toEqual([
      { repositories: [half], permissions: { contents: 'write', workflows: 'write' } },
    ]);
  });

  it('through a scoped link, the tokens reach the new repository and nothing else in the scope', async () => {
    const org = 'narrow-scoped-org';
    const scoped = await alice(`/accounts/${account}/installations/${installs[org]}`, {
      method: 'PATCH',
      json: { patterns: ['team-a-*'] },
    });
    expect(scoped.status).toBe(200);
    await fx.admin.createRepositories(org, { names: ['team-a-web'] });
    const response = await create({
      installationId: installs[org],
      name: 'team-a-api',
      files: [{ path: 'README.md', content: '# api\n' }],
    });
    expect(response.status).toBe(201);
    expect(writers(org)).toEqual([
      { repositories: [repoId(org, 'team-a-api')], permissions: { contents: 'write' } },
    ]);
  });
});
