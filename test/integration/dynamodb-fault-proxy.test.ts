import { createDocumentClient, Table } from '../../functions/shared/store/table.js';
import { createTestTable } from '../support/dynamodb.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../support/dynamodb-fault-proxy.js';

let direct: Awaited<ReturnType<typeof createTestTable>>;
let proxy: DynamoFaultProxy;
let proxied: Table;

beforeAll(async () => {
  direct = await createTestTable();
  proxy = await startDynamoFaultProxy(String(process.env.TEST_DYNAMODB_ENDPOINT));
  const client = createDocumentClient({ endpoint: proxy.endpoint });
  proxied = new Table({ client, tableName: direct.tableName });
});
afterAll(async () => {
  proxied?.client.destroy();
  direct?.close();
  await proxy?.close();
});
afterEach(() => proxy.clear());

const key = (id: string) => ({ PK: `TEST#${id}`, SK: 'ITEM' });

describe('the DynamoDB fault proxy', () => {
  it('passes requests through untouched', async () => {
    await proxied.put({ ...key('plain'), value: 1 });
    expect(await direct.table.get(key('plain'))).toMatchObject({ value: 1 });
  });

  it('fails named operations with DynamoDB’s error, writing nothing', async () => {
    proxy.inject({ operations: ['PutItem'], mode: 'fail', count: Infinity });
    await expect(proxied.put({ ...key('failed'), value: 1 })).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      cause: { name: 'InternalServerError' },
    });
    expect(await direct.table.get(key('failed'))).toBeUndefined();
    expect(await proxied.get(key('plain'))).toMatchObject({ value: 1 }); // other operations pass
  });

  it('throttles like DynamoDB when asked', async () => {
    proxy.inject({
      operations: ['GetItem'],
      mode: 'fail',
      status: 400,
      errorType: 'ProvisionedThroughputExceededException',
      count: Infinity,
    });
    await expect(proxied.get(key('plain'))).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      cause: { name: 'ProvisionedThroughputExceededException' },
    });
  });

  it('drops the answer after the write happened', async () => {
    proxy.inject({ operations: ['PutItem'], mode: 'drop', count: Infinity });
    const seen = proxy.calls.length;
    await expect(proxied.put({ ...key('dropped'), value: 2 })).rejects.toThrow();
    expect(await direct.table.get(key('dropped'))).toMatchObject({ value: 2 });
    // The proxy saw each attempt land (DynamoDB answered 200) though the client got no answer.
    const attempts = proxy.calls.slice(seen).filter((call) => call.operation === 'PutItem');
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((call) => call.fault === 'drop' && call.status === 200)).toBe(true);
  });

  it('matches on the request body and counts what it did', async () => {
    const seen = proxy.calls.length;
    proxy.inject({
      operations: ['PutItem'],
      match: (body) => JSON.stringify(body.Item).includes('TEST#only-this'),
      mode: 'fail',
      count: 1,
      status: 400,
      errorType: 'ValidationException',
    });
    await proxied.put({ ...key('other'), value: 3 });
    await expect(proxied.put({ ...key('only-this'), value: 3 })).rejects.toThrow();
    await proxied.put({ ...key('only-this'), value: 4 });
    // Grouped by SDK call: on a busy machine the SDK may retry a slow request (same invocation id).
    const sdkCalls = new Map<string | undefined, typeof proxy.calls>();
    for (const call of proxy.calls.slice(seen))
      sdkCalls.set(call.invocationId, [...(sdkCalls.get(call.invocationId) ?? []), call]);
    const summary = [...sdkCalls.values()].map((attempts) => ({
      value: (attempts[0]?.body.Item as { value?: { N?: string } } | undefined)?.value?.N,
      faults: [...new Set(attempts.map((attempt) => attempt.fault))],
      // A failed request never reached DynamoDB: no status.
      landed: attempts.some((attempt) => attempt.status === 200),
    }));
    expect(summary).toEqual([
      { value: '3', faults: [undefined], landed: true },
      { value: '3', faults: ['fail'], landed: false },
      { value: '4', faults: [undefined], landed: true },
    ]);
    expect(await direct.table.get(key('only-this'))).toMatchObject({ value: 4 });
  });
});
