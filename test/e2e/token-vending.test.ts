import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  revokeToken,
  signedFetch,
  vendToken,
  type VendedToken,
} from '../../examples/token-vending-client.js';
import { keys } from '../../functions/shared/store/keys.js';
import { runLifetimeSweepOnce } from '../../local/lifetime-timer.js';
import { dueStore, SWEEP_PAGE } from '../../functions/token-vending/lifetime.js';
import { setAbuseLimitClockForTests } from '../../functions/shared/limits/abuse-limits.js';
import { logger } from '../../functions/shared/logger.js';
import { METRIC, METRICS_NAMESPACE } from '../../functions/shared/metrics.js';
import { getTable } from '../../functions/shared/store/table.js';
import { captureOutput } from '../support/capture-output.js';
import { recordDynamoRequests } from '../support/dynamodb-requests.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';
import {
  platformRole,
  refusalOf as refusal,
  scanTable,
  signingAs,
  withVendedToken,
  writeBlob,
} from '../support/service-tokens.js';
import { TOKEN_IN_LOGS } from '../support/token-patterns.js';

/*
 * Token vending end to end (docs/token-vending.md) on the real service: the handlers behind the local
 * API server verifying SigV4 as API Gateway's IAM authorizer does, DynamoDB Local, the GitHub emulator.
 * A back-end signs with the AWS SDK's signer (examples/token-vending-client.ts, what `npm run vend` uses).
 */

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BUILDER = platformRole('builder');
const DEPLOYER = platformRole('deployer');
const STRANGER = platformRole('stranger');
const SHORT_LIVED = platformRole('short-lived');
/** This suite's throttle: far above what one role asks here in a minute, reached on purpose once. */
const PER_MINUTE = 30;
/** Issue items of one cached token seeded for the revocation's cost: above a query page (1 MB). */
const SEEDED_ISSUES = 5000;

let fx: ServiceFixture;
let accountId: string;
// The handlers' logs (all of them: the tests' default is silent) and EMF metric lines, as they write
// them to stdout (read back below).
logger.setLogLevel('DEBUG');
const output = captureOutput();
let installationId: number;
/** GitHub (the emulator) called with a token, as a back-end would. */
let github: ReturnType<typeof withVendedToken>;

const as = (roleArn: string) => signingAs(fx.serviceCredentials, roleArn);
const vend = (roleArn: string, repositories: string[], permissions: Record<string, 'read' | 'write'>) =>
  vendToken(fx.api.url, { accountId, repositories, permissions }, as(roleArn));
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const mints = async () =>
  (await fx.admin.calls()).filter((call) => call.route.includes('access_tokens')).length;
const tableItems = () => scanTable(fx.table);
const policy = (id: string, fields: Record<string, unknown>) =>
  fx.table.table.put({
    ...keys.serviceAccess(accountId, id),
    id,
    accountId,
    maxLifetimeMinutes: null,
    createdBy: 1,
    createdAt: '2026-12-07T00:00:00.000Z',
    updatedAt: '2026-12-07T00:00:00.000Z',
    ...fields,
  });

beforeAll(async () => {
  fx = await startService({
    serviceRoles: [DEPLOYER, STRANGER, SHORT_LIVED],
    env: { MAX_SERVICE_TOKENS_PER_MINUTE: String(PER_MINUTE) },
  });
  github = withVendedToken(fx.emulator.url);
  const appId = Number(fx.secrets.githubApp.appId);
  await fx.admin.createUser({ login: 'alice' });
  await fx.admin.createUser({ login: 'octo-org', type: 'Organization', admins: ['alice'] });
  await fx.admin.createRepositories('octo-org', {
    names: ['app-one', 'app-two', 'app-three', 'app-four', 'secret-repo'],
    files: { 'README.md': '# app\n' },
  });
  installationId = (await fx.admin.install({ appId, account: 'octo-org' })).installation.id;
  const alice = api(fx, await signIn(fx, 'alice'));
  accountId = (
    (await (await alice('/accounts', { method: 'POST', json: { name: 'Platform' } })).json()) as {
      id: string;
    }
  ).id;
  expect(
    (await alice(`/accounts/${accountId}/installations/${installationId}`, { method: 'PUT' })).status,
  ).toBe(201);
  // The account's link reaches `app-*` only (the scope's item shape; the link routes set it through the API).
  const { PK, SK } = keys.link(accountId, installationId);
  await fx.table.table.update(
    { PK, SK },
    {
      expression: 'SET #scope = :scope',
      names: { '#scope': 'scope' },
      values: { ':scope': { repositories: [], patterns: ['app-*'] } },
    },
  );
  // The account's service access policies (the item shape the service-access routes write).
  await policy('builder', {
    principal: BUILDER,
    repositories: ['octo-org/app-one', 'octo-org/app-two', 'octo-org/secret-repo'],
    permissions: { contents: 'read', issues: 'read' },
  });
  await policy('short', {
    principal: SHORT_LIVED,
    repositories: ['octo-org/app-one'],
    permissions: { contents: 'read' },
    maxLifetimeMinutes: 10,
  });
  await policy('deployer', {
    principal: DEPLOYER,
    repositories: ['octo-org/app-three'],
    permissions: { contents: 'write' },
  });
});
afterAll(async () => {
  output.restore();
  setAbuseLimitClockForTests();
  await fx?.close();
});

describe('token vending', () => {
  let vended: VendedToken;

  it('vends a token for two repositories with contents:read: it reads both at GitHub, cannot write, cannot read a third', async () => {
    await fx.admin.clearCalls();
    vended = await vend(BUILDER, ['octo-org/app-one', 'Octo-Org/App-Two'], { contents: 'read' });
    expect(vended).toEqual({
      token: expect.stringMatching(/^ghs_/) as string,
      expiresAt: expect.any(String) as string,
      installationId,
      repositories: ['octo-org/app-one', 'octo-org/app-two'],
      permissions: { contents: 'read' },
    });
    const lifetimeMs = Date.parse(vended.expiresAt) - Date.now();
    expect(lifetimeMs).toBeGreaterThan(50 * 60_000);
    expect(lifetimeMs).toBeLessThanOrEqual(60 * 60_000);
    expect(await mints()).toBe(1);

    for (const repo of ['app-one', 'app-two'])
      expect((await github(vended.token, `/repos/octo-org/${repo}/contents/README.md`)).status).toBe(200);
    expect((await writeBlob(github, vended.token, 'octo-org/app-one')).status).toBe(403);
    expect((await github(vended.token, '/repos/octo-org/app-three/contents/README.md')).status).toBe(404);
  });

  it('audits the issue under the token’s SHA-256 with the principal, repositories and permissions; never the token', async () => {
    const audit = (await tableItems())
      .filter((item) => item.PK === `VEND#${sha256(vended.token)}`)
      .sort((a, b) => (String(a.SK) < String(b.SK) ? -1 : 1));
    expect(audit).toEqual([
      // Whom it was issued to, as revocation reads it (one item per principal, rewritten by each issue).
      expect.objectContaining({
        SK: `HOLDER#${BUILDER}`,
        principal: BUILDER,
        accountId,
        installationId,
        repositoryNames: ['app-one', 'app-two'],
        permissions: { contents: 'read' },
        tokenExpiresAt: vended.expiresAt,
        expiresAt: expect.any(Number) as number,
      }),
      expect.objectContaining({
        SK: expect.stringMatching(/^ISSUE#\d{4}-\d\d-\d\dT.+#.+$/) as string,
        tokenSha256: sha256(vended.token),
        accountId,
        principal: BUILDER,
        policyId: 'builder',
        installationId,
        repositories: ['octo-org/app-one', 'octo-org/app-two'],
        permissions: { contents: 'read' },
        tokenExpiresAt: vended.expiresAt,
        expiresAt: expect.any(Number) as number,
      }),
    ]);
    expect(JSON.stringify(await tableItems())).not.toContain(vended.token);
  });

  it('shares the fleet-wide token cache: the same scope again mints nothing and answers the same token', async () => {
    await fx.admin.clearCalls();
    const again = await vend(BUILDER, ['octo-org/app-two', 'octo-org/app-one'], { contents: 'read' });
    expect(again.token).toBe(vended.token);
    expect(await mints()).toBe(0);
    // Each issue is audited, the cached one too; the principal is one holder still.
    const audit = (await tableItems()).filter((item) => item.PK === `VEND#${sha256(vended.token)}`);
    expect(audit.filter((item) => String(item.SK).startsWith('ISSUE#'))).toHaveLength(2);
    expect(audit.filter((item) => String(item.SK).startsWith('HOLDER#'))).toHaveLength(1);
  });

  it('refuses what the policy does not grant, naming it, and mints nothing', async () => {
    await fx.admin.clearCalls();
    // A repository outside the policy (it is another principal's), beside one inside.
    expect(
      await refusal(vend(BUILDER, ['octo-org/app-one', 'octo-org/app-three'], { contents: 'read' })),
    ).toEqual({
      status: 403,
      error: 'outside_service_access_policy',
      message: expect.stringContaining('octo-org/app-three') as string,
      repositories: ['octo-org/app-three'],
    });
    // A permission above the policy's ceiling, and one it does not list.
    expect(
      await refusal(vend(BUILDER, ['octo-org/app-one'], { contents: 'write', pull_requests: 'read' })),
    ).toEqual({
      status: 403,
      error: 'outside_service_access_policy',
      message: expect.stringContaining('contents:write') as string,
      permissions: { contents: 'write', pull_requests: 'read' },
    });
    // A role that no policy of the account names.
    expect(await refusal(vend(STRANGER, ['octo-org/app-one'], { contents: 'read' }))).toMatchObject({
      status: 403,
      error: 'service_access_denied',
      repositories: ['octo-org/app-one'],
    });
    // The deployer's own policy grants app-three, not the builder's repositories.
    expect(await refusal(vend(DEPLOYER, ['octo-org/app-one'], { contents: 'read' }))).toMatchObject({
      status: 403,
      error: 'outside_service_access_policy',
      repositories: ['octo-org/app-one'],
    });
    // Another account's id: no policy there names the role.
    expect(
      await refusal(
        vendToken(
          fx.api.url,
          {
            accountId: 'no-such-account',
            repositories: ['octo-org/app-one'],
            permissions: { contents: 'read' },
          },
          as(BUILDER),
        ),
      ),
    ).toMatchObject({ status: 403, error: 'service_access_denied' });
    expect(await mints()).toBe(0);
  });

  it('refuses a repository outside the account’s scope, and a permission the installation lacks', async () => {
    await fx.admin.clearCalls();
    expect(await refusal(vend(BUILDER, ['octo-org/secret-repo'], { contents: 'read' }))).toEqual({
      status: 403,
      error: 'repository_not_in_scope',
      message: expect.stringContaining('octo-org/secret-repo') as string,
      repositories: ['octo-org/secret-repo'],
    });
    expect(await refusal(vend(BUILDER, ['octo-org/app-one'], { issues: 'read' }))).toEqual({
      status: 403,
      error: 'insufficient_installation_permissions',
      message: expect.any(String) as string,
      permissions: { issues: 'read' },
    });
    expect(await mints()).toBe(0);
  });

  it('enforces a 10-minute policy: a dedicated token, revoked by the sweep once due; the cached token lives on', async () => {
    const cached = await vend(BUILDER, ['octo-org/app-one'], { contents: 'read' });
    await fx.admin.clearCalls();
    const before = Date.now();
    const short = await vend(SHORT_LIVED, ['octo-org/app-one'], { contents: 'read' });
    // Its own token (one mint, not the shared cache's), answered as living the policy's 10 minutes.
    expect(short.token).not.toBe(cached.token);
    expect(await mints()).toBe(1);
    const lifetime = Date.parse(short.expiresAt) - before;
    expect(lifetime).toBeGreaterThan(9 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(10 * 60_000 + 1000);
    expect((await github(short.token, '/repos/octo-org/app-one/contents/README.md')).status).toBe(200);
    expect((await github(short.token, '/repos/octo-org/app-two/contents/README.md')).status).toBe(404);
    // Not put into the shared cache: the same scope for the builder is still its cached token.
    expect((await vend(BUILDER, ['octo-org/app-one'], { contents: 'read' })).token).toBe(cached.token);

    const digest = sha256(short.token);
    const dueItems = async () =>
      (await tableItems()).filter((item) => item.PK === 'VEND#DUE' && String(item.SK).endsWith(digest));
    const due = await dueItems();
    expect(due).toEqual([
      expect.objectContaining({ SK: `DUE#${short.expiresAt}#${digest}`, installationId }),
    ]);
    // Encrypted: the token is nowhere in the table.
    expect(JSON.stringify(await tableItems())).not.toContain(short.token);
    const issues = (await tableItems()).filter(
      (item) => item.PK === `VEND#${digest}` && String(item.SK).startsWith('ISSUE#'),
    );
    expect(issues).toEqual([
      expect.objectContaining({ principal: SHORT_LIVED, policyId: 'short', tokenExpiresAt: short.expiresAt }),
    ]);

    // Not due yet: the sweep leaves it.
    expect(await runLifetimeSweepOnce()).toMatchObject({ revoked: 0 });
    expect((await github(short.token, '/repos/octo-org/app-one/contents/README.md')).status).toBe(200);
    expect(await dueItems()).toHaveLength(1);

    // Eleven minutes later the sweep revokes it at GitHub, audits it and drops the due item.
    const realNow = Date.now.bind(Date);
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 11 * 60_000);
    try {
      expect(await runLifetimeSweepOnce()).toMatchObject({ revoked: 1, failed: 0 });
    } finally {
      clock.mockRestore(); // only this spy: the suite's output capture stays
    }
    const after = await github(short.token, '/repos/octo-org/app-one/contents/README.md');
    expect(after.status).toBe(401);
    const revocations = (await tableItems()).filter(
      (item) => item.PK === `VEND#${digest}` && String(item.SK).startsWith('REVOKE#'),
    );
    expect(revocations).toEqual([
      expect.objectContaining({ revoker: 'lifetime', outcome: 'revoked', installationId }),
    ]);
    expect(await dueItems()).toEqual([]);
    // Only the dedicated token: the cached one of the same scope still reads.
    expect((await github(cached.token, '/repos/octo-org/app-one/contents/README.md')).status).toBe(200);
    expect(await runLifetimeSweepOnce()).toMatchObject({ revoked: 0, read: 0 });
  });

  it('a dedicated token its principal revokes loses its due revocation too', async () => {
    const short = await vend(SHORT_LIVED, ['octo-org/app-one'], { contents: 'read' });
    const digest = sha256(short.token);
    const dueItems = async () =>
      (await tableItems()).filter((item) => item.PK === 'VEND#DUE' && String(item.SK).endsWith(digest));
    expect(await dueItems()).toHaveLength(1);
    await revokeToken(fx.api.url, short.token, as(SHORT_LIVED));
    expect((await github(short.token, '/repos/octo-org/app-one/contents/README.md')).status).toBe(401);
    expect(await dueItems()).toEqual([]);
    // The shared cache's token of the same scope is another token: it stays cached (nothing minted).
    await fx.admin.clearCalls();
    expect((await vend(BUILDER, ['octo-org/app-one'], { contents: 'read' })).token).not.toBe(short.token);
    expect(await mints()).toBe(0);
  });

  it('one sweep revokes a backlog larger than its page: revocations are not late when many fall due', async () => {
    // 60 dedicated tokens due a minute ago (tokens GitHub no longer knows: each answers 401, dropped).
    const store = dueStore();
    const dueAt = new Date(Date.now() - 60_000).toISOString();
    for (let index = 0; index < 60; index++) {
      await store.add({
        dueAt,
        tokenSha256: sha256(`backlog-${index}`),
        installationId,
        token: `ghs_backlog${String(index).padStart(32, '0')}`,
      });
    }
    expect(60).toBeGreaterThan(SWEEP_PAGE);
    const summary = await runLifetimeSweepOnce();
    expect(summary).toMatchObject({ read: 60, alreadyInvalid: 60, failed: 0 });
    expect((await tableItems()).filter((item) => item.PK === 'VEND#DUE')).toEqual([]);
  });

  it('grants a write token within the deployer’s policy (write on exactly its repository)', async () => {
    const token = await vend(DEPLOYER, ['octo-org/app-three'], { contents: 'write' });
    expect((await writeBlob(github, token.token, 'octo-org/app-three')).status).toBe(201);
    expect((await github(token.token, '/repos/octo-org/app-one/contents/README.md')).status).toBe(404);
  });

  it('refuses an unsigned request, and takes the caller only from the signature (never the body)', async () => {
    const unsigned = await fetch(`${fx.api.url}/service/accounts/${accountId}/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repositories: ['octo-org/app-one'], permissions: { contents: 'read' } }),
    });
    expect(unsigned.status).toBe(403);
    // A body naming another principal changes nothing: the stranger is still the stranger.
    const claimed = await signedFetch(
      `${fx.api.url}/service/accounts/${accountId}/tokens`,
      {
        method: 'POST',
        body: JSON.stringify({
          repositories: ['octo-org/app-one'],
          permissions: { contents: 'read' },
          principal: BUILDER,
        }),
      },
      as(STRANGER),
    );
    expect(claimed.status).toBe(403);
    expect(((await claimed.json()) as { error: string }).error).toBe('service_access_denied');
  });

  it('revokes: only a role the token was vended to, then GitHub refuses the token and the cache mints anew', async () => {
    const token = vended.token;
    expect(await refusal(revokeToken(fx.api.url, token, as(DEPLOYER)))).toMatchObject({
      status: 403,
      error: 'token_not_issued_to_caller',
    });
    expect((await github(token, '/repos/octo-org/app-one/contents/README.md')).status).toBe(200);

    await revokeToken(fx.api.url, token, as(BUILDER));
    const after = await github(token, '/repos/octo-org/app-one/contents/README.md');
    expect(after.status).toBe(401);
    expect(((await after.json()) as { message: string }).message).toBe('Bad credentials');
    const revocations = (await tableItems()).filter(
      (item) => item.PK === `VEND#${sha256(token)}` && String(item.SK).startsWith('REVOKE#'),
    );
    expect(revocations).toEqual([
      expect.objectContaining({ revoker: BUILDER, outcome: 'revoked', installationId }),
    ]);

    // Revoking again is answered alike (GitHub no longer knows the token).
    await revokeToken(fx.api.url, token, as(BUILDER));
    // The cache forgot it: the same scope is minted anew, and the new token works.
    await fx.admin.clearCalls();
    const fresh = await vend(BUILDER, ['octo-org/app-one', 'octo-org/app-two'], { contents: 'read' });
    expect(fresh.token).not.toBe(token);
    expect(await mints()).toBe(1);
    expect((await github(fresh.token, '/repos/octo-org/app-one/contents/README.md')).status).toBe(200);
    expect(JSON.stringify(await tableItems())).not.toContain(fresh.token);
  });

  it('revocation reads one item, the caller’s holder item, however many times the shared token was issued', async () => {
    const shared = await vend(BUILDER, ['octo-org/app-two'], { contents: 'read' });
    const digest = sha256(shared.token);
    // A busy hour of a cached token: issued thousands of times, to the builder and to other roles, each
    // audited (more issue items than one page of a query returns).
    const seeded = Array.from({ length: SEEDED_ISSUES }, (_, n) => {
      const issuedAt = new Date(Date.now() - n * 700).toISOString();
      return {
        ...keys.vendIssue(digest, issuedAt, `seeded-${n}`),
        kind: 'issue',
        tokenSha256: digest,
        issuedAt,
        requestId: `seeded-${n}`,
        accountId,
        principal: n % 3 === 0 ? BUILDER : platformRole(`runner-${n % 40}`),
        policyId: 'builder',
        installationId,
        repositories: shared.repositories,
        permissions: shared.permissions,
        tokenExpiresAt: shared.expiresAt,
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      };
    });
    await fx.table.table.batchPut(seeded);
    // The handlers' own table client: what the revocation requests cost, as DynamoDB reports it.
    const dynamo = recordDynamoRequests(getTable().client);
    try {
      // A role it was never issued to: refused after that one read.
      expect(await refusal(revokeToken(fx.api.url, shared.token, as(STRANGER)))).toMatchObject({
        status: 403,
        error: 'token_not_issued_to_caller',
      });
      expect(dynamo.reads().map((request) => request.operation)).toEqual(['GetItem']);
      dynamo.clear();

      await revokeToken(fx.api.url, shared.token, as(BUILDER));
      const reads = dynamo.reads();
      expect(reads.map((request) => request.operation)).toEqual(['GetItem']);
      expect(reads[0]?.readUnits).toBeLessThanOrEqual(1);
      // The throttle, the cache's item and a due item deleted (one each, no read), the revocation item.
      expect(
        dynamo
          .writes()
          .map((request) => request.operation)
          .sort(),
      ).toEqual(['DeleteItem', 'DeleteItem', 'PutItem', 'UpdateItem']);
    } finally {
      dynamo.stop();
      await fx.table.table.batchDelete(seeded.map(({ PK, SK }) => ({ PK, SK })));
    }
    expect((await github(shared.token, '/repos/octo-org/app-two/contents/README.md')).status).toBe(401);
  });

  it('prints the token’s scope with `npm run vend`, finding the API and credentials itself; the token only when asked', async () => {
    const current = await vend(BUILDER, ['octo-org/app-one', 'octo-org/app-two'], { contents: 'read' });
    // A child process (the API runs in this one, so it must not be blocked while the child asks).
    const run = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
        execFile(
          process.execPath,
          [
            resolve(ROOT, 'node_modules/tsx/dist/cli.mjs'),
            'scripts/vend.ts',
            '--account',
            accountId,
            ...args,
          ],
          {
            cwd: ROOT,
            // As `npm start` leaves them: the API's URL and the secrets file the service uses.
            env: {
              ...process.env,
              NODE_OPTIONS: '',
              API_BASE_URL: fx.api.url,
              LOCAL_SECRETS_FILE: fx.secretsFile,
            },
            timeout: 60_000,
          },
          (error, stdout, stderr) => done({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const asked = [
      '--repo',
      'octo-org/app-one',
      '--repo',
      'octo-org/app-two',
      '--permission',
      'contents:read',
    ];
    const plain = await run(asked);
    expect(plain).toMatchObject({ status: 0 });
    expect(plain.stdout).toContain('repositories  octo-org/app-one, octo-org/app-two');
    expect(plain.stdout).toContain('permissions   contents:read');
    expect(plain.stdout).toContain(`sha256        ${sha256(current.token)}`);
    expect(plain.stdout).not.toContain(current.token);
    expect((await run([...asked, '--show-token'])).stdout).toContain(current.token);
    const refused = await run(['--repo', 'octo-org/secret-repo', '--permission', 'contents:read']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('repositories not granted: octo-org/secret-repo');
  });

  it('throttles each principal: over its requests per minute, 429 with Retry-After (other roles unaffected)', async () => {
    // A window of its own, so that the requests above do not count and none straddles two windows.
    const windowStart = Date.UTC(2031, 0, 1);
    setAbuseLimitClockForTests(() => windowStart + 1000);
    const answers: number[] = [];
    for (let index = 0; index <= PER_MINUTE; index++) {
      const response = await signedFetch(
        `${fx.api.url}/service/accounts/${accountId}/tokens`,
        {
          method: 'POST',
          body: JSON.stringify({ repositories: ['octo-org/app-one'], permissions: { contents: 'read' } }),
        },
        as(STRANGER),
      );
      answers.push(response.status);
      if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      await response.arrayBuffer();
    }
    expect(answers.filter((status) => status === 403)).toHaveLength(PER_MINUTE);
    expect(answers.at(-1)).toBe(429);
    expect((await vend(BUILDER, ['octo-org/app-one'], { contents: 'read' })).repositories).toEqual([
      'octo-org/app-one',
    ]);
    setAbuseLimitClockForTests();
  });

  it('counts vended and refused tokens (by reason) as the dashboard and the alarm read them, and logs no token', async () => {
    const mark = output.text().length;
    const granted = await vend(BUILDER, ['octo-org/app-two'], { contents: 'read' });
    await refusal(vend(BUILDER, ['octo-org/app-four'], { contents: 'read' }));
    const records = output
      .text()
      .slice(mark)
      .split('\n')
      .filter((line) => line.startsWith('{"_aws"'))
      .map(
        (line) =>
          JSON.parse(line) as Record<string, unknown> & {
            _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> };
          },
      );
    const total = (name: string, reason?: string) =>
      records
        .filter(
          (record) => record._aws.CloudWatchMetrics[0]?.Namespace === METRICS_NAMESPACE && name in record,
        )
        .filter((record) => (reason === undefined ? !('reason' in record) : record.reason === reason))
        .reduce((sum, record) => sum + Number(record[name]), 0);
    expect(total(METRIC.serviceTokensVended)).toBe(1);
    expect(total(METRIC.serviceTokensRefused)).toBe(1);
    expect(total(METRIC.serviceTokensRefused, 'outside_service_access_policy')).toBe(1);
    // Every line the handlers wrote in this suite (each issue and refusal is logged): digests, no token.
    expect(output.text()).toContain(sha256(granted.token));
    expect(output.text()).toContain('Service token refused');
    expect(output.text()).not.toContain(granted.token);
    expect(output.text()).not.toMatch(TOKEN_IN_LOGS);
  });
});
