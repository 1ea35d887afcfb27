import { randomUUID } from 'node:crypto';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * Idempotency-Key on mutating routes (docs/idempotency.md), through the whole service: the real
 * handlers, DynamoDB Local (behind the fault proxy) and the GitHub emulator.
 */
let fx: ServiceFixture;
type Call = ReturnType<typeof api>;
let alice: Call;
let bob: Call;
let account: string;
let installation: number;

beforeAll(async () => {
  fx = await startService({ dynamoFaults: true });
  const appId = Number(fx.secrets.githubApp.appId);
  for (const login of ['alice', 'bob']) await fx.admin.createUser({ login });
  await fx.admin.createUser({ login: 'octo-org', type: 'Organization', admins: ['alice'] });
  await fx.admin.createRepositories('octo-org', { names: ['app'] });
  installation = (await fx.admin.install({ appId, account: 'octo-org' })).installation.id;
  alice = api(fx, await signIn(fx, 'alice'));
  bob = api(fx, await signIn(fx, 'bob'));
  account = (
    (await (await alice('/accounts', { method: 'POST', json: { name: 'Main' } })).json()) as { id: string }
  ).id;
  expect((await alice(`/accounts/${account}/installations/${installation}`, { method: 'PUT' })).status).toBe(
    201,
  );
});
afterAll(() => fx?.close());
afterEach(() => fx.dynamo?.clear());

const withKey = (key: string, init: Parameters<Call>[1] = {}) => ({
  ...init,
  headers: { ...(init.headers as Record<string, string> | undefined), 'Idempotency-Key': key },
});
const accountNames = async (call: Call) =>
  ((await (await call('/accounts')).json()) as { accounts: Array<{ name: string }> }).accounts
    .map((a) => a.name)
    .sort();
async function gitHubCalls(): Promise<string[]> {
  return (await fx.admin.calls())
    .filter((call) => !call.route.startsWith('/_emulator'))
    .map((call) => `${call.method} ${call.route}`);
}
const commit = (key: string, message: string) =>
  alice(
    `/accounts/${account}/repositories/octo-org/app/commits`,
    withKey(key, {
      method: 'POST',
      json: {
        branch: 'main',
        message,
        files: [{ path: `${message}.txt`, content: 'x\n', encoding: 'utf-8' }],
      },
    }),
  );

describe('Idempotency-Key', () => {
  it('the same key and body replays the first answer: one account, not two', async () => {
    const key = randomUUID();
    const first = await alice('/accounts', withKey(key, { method: 'POST', json: { name: 'Replayed' } }));
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await alice('/accounts', withKey(key, { method: 'POST', json: { name: 'Replayed' } }));
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect((await accountNames(alice)).filter((name) => name === 'Replayed')).toHaveLength(1);
  });

  it('the same key with another body, route or path is 422 idempotency_key_reused, and nothing is done', async () => {
    const key = randomUUID();
    expect((await alice('/accounts', withKey(key, { method: 'POST', json: { name: 'First' } }))).status).toBe(
      201,
    );
    const otherBody = await alice('/accounts', withKey(key, { method: 'POST', json: { name: 'Second' } }));
    expect(otherBody.status).toBe(422);
    expect(await otherBody.json()).toEqual({ error: 'idempotency_key_reused', message: expect.any(String) });
    const otherRoute = await alice(
      `/accounts/${account}`,
      withKey(key, { method: 'PATCH', json: { name: 'First' } }),
    );
    expect(otherRoute.status).toBe(422);
    expect(await accountNames(alice)).not.toContain('Second');
    expect(await accountNames(alice)).toContain('Main');
  });

  it('keys are the caller’s own: another user’s same key and body is a request of its own', async () => {
    const key = randomUUID();
    const request = () => withKey(key, { method: 'POST', json: { name: 'Shared key' } });
    const mine = await alice('/accounts', request());
    const theirs = await bob('/accounts', request());
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    const [a, b] = [(await mine.json()) as { id: string }, (await theirs.json()) as { id: string }];
    expect(a.id).not.toBe(b.id);
    expect(await accountNames(bob)).toEqual(['Shared key']);
    // Alice's key still answers with Alice's account.
    const mineAgain = await alice('/accounts', request());
    expect(mineAgain.headers.get('idempotent-replayed')).toBe('true');
    expect(await mineAgain.json()).toMatchObject({ id: a.id });
  });

  it('concurrent requests with one key: one account; the others replay it or are 409 request_in_progress', async () => {
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        alice('/accounts', withKey(key, { method: 'POST', json: { name: 'Concurrent' } })),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    const created = await Promise.all(
      answers
        .filter((answer) => answer.status === 201)
        .map(async (answer) => (await answer.json()) as { id: string }),
    );
    expect(new Set(created.map((body) => body.id)).size).toBe(1);
    for (const answer of answers.filter((answer) => answer.status === 409)) {
      expect(answer.headers.get('retry-after')).toBe('2');
      expect(await answer.json()).toMatchObject({ error: 'request_in_progress' });
    }
    expect((await accountNames(alice)).filter((name) => name === 'Concurrent')).toHaveLength(1);
  });

  it('a key whose first request never recorded its end is 409 request_in_progress with Retry-After', async () => {
    // The first request's answer is given but its end is not written (as if it had been killed right
    // after its work): the key stays claimed until the claim expires (store test: the expiry).
    fx.dynamo?.inject({
      operations: ['UpdateItem'],
      mode: 'fail',
      count: Infinity,
      match: (body) => JSON.stringify(body.Key ?? {}).includes('IDEM#'),
    });
    const key = randomUUID();
    const first = await alice('/accounts', withKey(key, { method: 'POST', json: { name: 'Unrecorded' } }));
    expect(first.status).toBe(201);
    fx.dynamo?.clear();
    const retry = await alice('/accounts', withKey(key, { method: 'POST', json: { name: 'Unrecorded' } }));
    expect(retry.status).toBe(409);
    expect(retry.headers.get('retry-after')).toBe('2');
    expect(await retry.json()).toEqual({ error: 'request_in_progress', message: expect.any(String) });
    expect((await accountNames(alice)).filter((name) => name === 'Unrecorded')).toHaveLength(1);
  });

  it('a 4xx is replayed: a retried removal stays 204 after the member is gone', async () => {
    const invited = await alice(`/accounts/${account}/members`, {
      method: 'POST',
      json: { login: 'bob', role: 'member' },
    });
    const { id } = (await invited.json()) as { id: string };
    const accept = randomUUID();
    expect((await bob(`/invitations/${id}/accept`, withKey(accept, { method: 'POST' }))).status).toBe(200);
    const me = (await (await bob('/me')).json()) as { user: { id: number } };
    const key = randomUUID();
    const remove = () =>
      alice(`/accounts/${account}/members/${me.user.id}`, withKey(key, { method: 'DELETE' }));
    expect((await remove()).status).toBe(204);
    const again = await remove();
    expect(again.status).toBe(204);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // And a refusal is kept as such: accepting the (now used) invitation again with the same key.
    const replayed = await bob(`/invitations/${id}/accept`, withKey(accept, { method: 'POST' }));
    expect(replayed.status).toBe(200);
    const refused = randomUUID();
    const first = await bob(`/invitations/${id}/accept`, withKey(refused, { method: 'POST' }));
    expect(first.status).toBe(404);
    const second = await bob(`/invitations/${id}/accept`, withKey(refused, { method: 'POST' }));
    expect(second.status).toBe(404);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
  });

  it('a 5xx is not kept: the retry runs again; then its 201 is replayed with no GitHub call', async () => {
    await fx.admin.fault({ method: 'POST', route: '/repos/{owner}/{repo}/git/commits', status: 500 });
    const key = randomUUID();
    const failed = await commit(key, 'five-hundred');
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const retried = await commit(key, 'five-hundred');
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    const { sha } = (await retried.json()) as { sha: string };
    await fx.admin.clearCalls();
    const replayed = await commit(key, 'five-hundred');
    expect(replayed.status).toBe(201);
    expect(await replayed.json()).toMatchObject({ sha });
    expect(await gitHubCalls()).toEqual([]);
  });

  it('a malformed key is 400 invalid_idempotency_key; routes without a key work as before', async () => {
    const bad = await alice(
      '/accounts',
      withKey('x'.repeat(256), { method: 'POST', json: { name: 'Bad key' } }),
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_idempotency_key' });
    // The draft's structured-field form (a quoted string) is the same key as the bare token.
    const key = randomUUID();
    const quoted = await alice(
      '/accounts',
      withKey(`"${key}"`, { method: 'POST', json: { name: 'Quoted' } }),
    );
    const bare = await alice('/accounts', withKey(key, { method: 'POST', json: { name: 'Quoted' } }));
    expect([quoted.status, bare.status, bare.headers.get('idempotent-replayed')]).toEqual([201, 201, 'true']);
    expect(await accountNames(alice)).not.toContain('Bad key');
  });
});
