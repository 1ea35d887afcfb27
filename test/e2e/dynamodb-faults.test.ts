import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * DynamoDB trouble between the handlers and the table (test/support/dynamodb-fault-proxy.ts): a frozen,
 * throttling or failing DynamoDB is a 503 `service_unavailable` with Retry-After, answered within a few
 * seconds (the client's own timeouts and bounded retries), never a bare 500 or a hang.
 */
let fx: ServiceFixture;
let me: ReturnType<typeof api>;

beforeAll(async () => {
  fx = await startService({ dynamoFaults: true });
  await fx.admin.createUser({ login: 'dora' });
  me = api(fx, await signIn(fx, 'dora'));
});
afterAll(() => fx?.close());
afterEach(() => fx.dynamo?.clear());

const proxy = () => {
  if (!fx.dynamo) throw new Error('startService({ dynamoFaults: true }) gives a proxy');
  return fx.dynamo;
};

/** GET /me, given up by the client after 8 s: far longer than the service may take to answer. */
const getMe = () => me('/me', { signal: AbortSignal.timeout(8000) });

async function expectUnavailable(response: Response) {
  expect(response.status).toBe(503);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await response.json()).toEqual({
    error: 'service_unavailable',
    message: expect.any(String) as unknown,
  });
}

it('answers normally through the proxy', async () => {
  expect((await getMe()).status).toBe(200);
});

it('a frozen DynamoDB is 503 with Retry-After, not a hang', async () => {
  proxy().inject({ operations: ['GetItem'], mode: 'freeze', count: Infinity });
  await expectUnavailable(await getMe());
});

it('throttling is 503 with Retry-After after a bounded number of attempts', async () => {
  const before = proxy().calls.length;
  proxy().inject({
    operations: ['GetItem'],
    mode: 'fail',
    count: Infinity,
    errorType: 'ProvisionedThroughputExceededException',
    status: 400,
  });
  await expectUnavailable(await getMe());
  const attempts = proxy()
    .calls.slice(before)
    .filter((call) => call.fault === 'fail').length;
  expect(attempts).toBeGreaterThan(1);
  expect(attempts).toBeLessThanOrEqual(3);
});

it("DynamoDB's own 500 is 503 with Retry-After", async () => {
  proxy().inject({ operations: ['GetItem'], mode: 'fail', count: Infinity });
  await expectUnavailable(await getMe());
});

it('a lost answer (connection dropped) is 503 with Retry-After', async () => {
  proxy().inject({ operations: ['GetItem'], mode: 'drop', count: Infinity });
  await expectUnavailable(await getMe());
});

it('a write that is throttled is 503 and writes nothing', async () => {
  proxy().inject({
    operations: ['TransactWriteItems', 'PutItem'],
    mode: 'fail',
    count: Infinity,
    errorType: 'ThrottlingException',
    status: 400,
  });
  const response = await me('/accounts', { method: 'POST', json: { name: 'Throttled' } });
  await expectUnavailable(response);
  proxy().clear();
  const list = (await (await me('/accounts')).json()) as { accounts: Array<{ name: string }> };
  expect(list.accounts.map((account) => account.name)).not.toContain('Throttled');
});

it('one slow answer within the timeout is waited for', async () => {
  proxy().inject({ operations: ['GetItem'], mode: 'delay', delayMs: 300, count: 1 });
  expect((await getMe()).status).toBe(200);
});
