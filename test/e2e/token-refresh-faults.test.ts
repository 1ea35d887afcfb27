import { createServer } from 'node:net';
import { refreshToken } from '@octokit/oauth-methods';
import { getUserTokens } from '../../functions/shared/auth/context.js';
import { LEASE_MS, UserTokens } from '../../functions/shared/auth/user-tokens.js';
import { ReauthorizationRequiredError, UpstreamError } from '../../functions/shared/errors.js';
import { createGitHubRequest, withTimeout } from '../../functions/shared/github/github.js';
import { getCrypto, getServices } from '../../functions/shared/services.js';
import { UserStore } from '../../functions/shared/store/user-store.js';
import { captureOutput } from '../support/capture-output.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';
import { eventually } from '../support/repository-index.js';

/**
 * The user-token refresh under faults, through real HTTP: GitHub slow or losing its answer after it
 * rotated the refresh token, DynamoDB failing the write of the new pair, a holder killed mid-refresh.
 */
let fx: ServiceFixture;
let observed: UserStore; // straight to DynamoDB Local, past the fault proxy
const output = captureOutput();

beforeAll(async () => {
  fx = await startService({ dynamoFaults: true });
  observed = new UserStore(fx.table.table);
  for (const login of ['slow', 'unstored', 'never-stored', 'lost', 'killed', 'refused', 'timed-out'])
    await fx.admin.createUser({ login });
});
afterAll(async () => {
  output.restore();
  await fx.close();
});
afterEach(() => fx.dynamo?.clear());

const userIdOf = (login: string) => fx.emulator.world.accountByLogin(login)?.id ?? 0;
const refreshGrants = async () =>
  (await fx.admin.calls('POST /login/oauth/access_token')).filter((c) => c.grantType === 'refresh_token');

/** Signs `login` in, gives them an account, and lets GitHub's clock pass the access token's 8 h. */
async function expiredSession(login: string) {
  const call = api(fx, await signIn(fx, login));
  const created = await call('/accounts', { method: 'POST', json: { name: `${login}'s team` } });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  await fx.admin.advanceClock(8 * 3600 + 60);
  await fx.admin.clearCalls();
  const userId = userIdOf(login);
  return {
    userId,
    list: () => call(`/accounts/${id}/installations`),
    before: await observed.getToken(userId),
  };
}

async function openRefreshToken(userId: number): Promise<string> {
  const stored = await observed.getToken(userId);
  const { cipher } = await getCrypto();
  return cipher.decrypt(stored?.sealedRefreshToken ?? '', UserStore.tokenBinding(userId, 'refresh'));
}

const isTokenPut = (userId: number) => (body: Record<string, unknown>) => {
  const item = body.Item as { PK?: { S?: string }; SK?: { S?: string } } | undefined;
  return item?.PK?.S === `USER#${userId}` && item.SK?.S === 'TOKEN';
};

async function expectReauthorization(response: Response) {
  expect(response.status).toBe(401);
  expect(await response.json()).toMatchObject({ error: 'reauthorization_required' });
}

describe('refreshing a user token under faults', () => {
  it('GitHub answering the refresh after 9 s: 200, and exactly one refresh', async () => {
    const { userId, list, before } = await expiredSession('slow');
    await fx.admin.fault({ route: '/login/oauth/access_token', mode: 'act-then-delay', delayMs: 9000 });
    expect((await list()).status).toBe(200);
    expect(await refreshGrants()).toHaveLength(1);
    const after = await observed.getToken(userId);
    expect(after?.version).toBe((before?.version ?? 0) + 1);
    expect(after?.leaseId).toBeUndefined();
    // The stored pair is the new one: the next request needs no refresh.
    expect((await list()).status).toBe(200);
    expect(await refreshGrants()).toHaveLength(1);
  });

  it('every attempt of one SDK call to store the new pair failing: 200, and the service’s own retry stores it', async () => {
    const { userId, list, before } = await expiredSession('unstored');
    const sdkAttempts = await getServices().table.client.config.maxAttempts();
    const seen = fx.dynamo?.calls.length ?? 0;
    fx.dynamo?.inject({
      operations: ['PutItem'],
      match: isTokenPut(userId),
      mode: 'fail',
      count: sdkAttempts,
    });
    expect((await list()).status).toBe(200);
    const failed = fx.dynamo?.calls.slice(seen).filter((call) => call.fault === 'fail').length;
    expect(failed).toBe(sdkAttempts);
    const after = await observed.getToken(userId);
    expect(after?.version).toBe((before?.version ?? 0) + 1);
    expect(after?.leaseId).toBeUndefined();
    expect((await list()).status).toBe(200);
    expect(await refreshGrants()).toHaveLength(1);
  });

  it('storing the new pair failing on every retry: this request is served with the fresh token and the lease released', async () => {
    const { userId, list, before } = await expiredSession('never-stored');
    fx.dynamo?.inject({ operations: ['PutItem'], match: isTokenPut(userId), mode: 'fail', count: Infinity });
    expect((await list()).status).toBe(200);
    const after = await observed.getToken(userId);
    expect(after?.version).toBe(before?.version);
    expect(after?.leaseId).toBeUndefined();
    fx.dynamo?.clear();
    // What the README says comes next: the stored refresh token was spent, so GitHub refuses it.
    await expectReauthorization(await list());
    expect(await refreshGrants()).toHaveLength(2);
    expect(await observed.getToken(userId)).toBeUndefined();
  });

  it('GitHub rotating and the answer lost: 401 reauthorization_required at once, the spent pair deleted', async () => {
    const { userId, list } = await expiredSession('lost');
    await fx.admin.fault({ route: '/login/oauth/access_token', mode: 'act-then-reset' });
    await expectReauthorization(await list());
    // One retry with the same token settles whether GitHub had rotated (it had: bad_refresh_token).
    expect((await refreshGrants()).map((call) => call.status)).toEqual([0, 200]);
    expect(await observed.getToken(userId)).toBeUndefined();
  });

  it('a holder killed after GitHub rotated: once its lease lapses, the next request gets 401 at once', async () => {
    const { userId, list, before } = await expiredSession('killed');
    // The holder took the lease, GitHub rotated the refresh token, and the holder died before storing.
    await observed.acquireRefreshLease(userId, before?.version ?? 0, Date.now() - LEASE_MS - 1, LEASE_MS);
    await fx.admin.fault({ route: '/login/oauth/access_token', mode: 'act-then-reset' });
    await expect(
      refreshToken({
        clientType: 'github-app',
        clientId: fx.secrets.githubApp.clientId,
        clientSecret: fx.secrets.githubApp.clientSecret,
        refreshToken: await openRefreshToken(userId),
        request: createGitHubRequest(fx.emulator.url),
      }),
    ).rejects.toThrow();
    await expectReauthorization(await list());
    expect(await refreshGrants()).toHaveLength(2);
    expect(await observed.getToken(userId)).toBeUndefined();
  });
});

describe('what the refresh makes of a call that got no answer', () => {
  async function tokensWith(request: ReturnType<typeof createGitHubRequest>) {
    const { cipher } = await getCrypto();
    return new UserTokens({
      users: getServices().users,
      cipher,
      loginUrl: 'x',
      refresh: async (token) =>
        (
          await refreshToken({
            clientType: 'github-app',
            clientId: fx.secrets.githubApp.clientId,
            clientSecret: fx.secrets.githubApp.clientSecret,
            refreshToken: token,
            request,
          })
        ).authentication,
    });
  }

  it('never reached GitHub (connection refused): 503 with Retry-After, the pair kept and the lease released', async () => {
    const { userId, before } = await expiredSession('refused');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const tokens = await tokensWith(createGitHubRequest(`http://127.0.0.1:${port}`));
    const current = await tokens.get(userId);
    const error = await tokens.get(userId, { rejected: current }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).statusCode).toBe(503);
    expect((error as UpstreamError).headers['Retry-After']).toMatch(/^\d+$/);
    const after = await observed.getToken(userId);
    expect(after?.sealedRefreshToken).toBe(before?.sealedRefreshToken);
    expect(after?.leaseId).toBeUndefined();
    // The refresh token was never spent: the service's own client refreshes with it.
    await expect((await getUserTokens()).get(userId, { rejected: current })).resolves.toMatch(/^ghu_/);
  });

  it('timed out after it was sent: 401 at once, no second refresh, the pair deleted', async () => {
    const { userId } = await expiredSession('timed-out');
    await fx.admin.fault({ route: '/login/oauth/access_token', mode: 'act-then-delay', delayMs: 1000 });
    const tokens = await tokensWith(withTimeout(createGitHubRequest(fx.emulator.url), 100));
    const current = await tokens.get(userId);
    const error = await tokens.get(userId, { rejected: current }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect(await observed.getToken(userId)).toBeUndefined();
    // The emulator records the call once its late answer is out; a second try would be recorded by then.
    expect(await eventually(async () => (await refreshGrants()).length > 0, 10_000)).toBe(true);
    expect(await refreshGrants()).toHaveLength(1);
  });
});
