import { AsyncLocalStorage } from 'node:async_hooks';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import middy from '@middy/core';
import { keys } from '../../functions/shared/store/keys.js';
import { parseTraceHeader, tracer } from '../../functions/shared/tracer.js';
import { createTestTable } from '../support/dynamodb.js';

/** The X-Ray daemon's stand-in: every UDP datagram's JSON document. */
const daemon = createSocket('udp4');
type Sent = Record<string, unknown> & {
  name: string;
  id: string;
  start_time: number;
  end_time?: number;
  namespace?: string;
  error?: boolean;
  http?: { request?: { url?: string }; response?: { status?: number } };
};
const received: Sent[] = [];
daemon.on('message', (datagram) => {
  const [header, body] = datagram.toString().split('\n');
  expect(JSON.parse(header ?? '')).toEqual({ format: 'json', version: 1 });
  received.push(JSON.parse(body ?? '') as Sent);
});
await new Promise<void>((done) => daemon.bind(0, '127.0.0.1', done));

/** GitHub's stand-in for fetch. */
const github = createServer((request, response) =>
  response.writeHead(request.url?.startsWith('/missing') ? 404 : 200).end('{}'),
);
await new Promise<void>((done) => github.listen(0, '127.0.0.1', done));
const githubUrl = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;

const fixture = await createTestTable();
afterAll(() => {
  fixture.close();
  daemon.close();
  github.close();
});

const ROOT = '1-5759e988-bd862e3fe1be46a994272793';
const saved = { ...process.env };
function lambdaEnvironment(overrides: Record<string, string> = {}) {
  Object.assign(process.env, {
    AWS_LAMBDA_FUNCTION_NAME: 'webhook',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
    _HANDLER: 'index.handler',
    _X_AMZN_TRACE_ID: `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1`,
    POWERTOOLS_TRACE_ENABLED: 'true',
    ...overrides,
  });
}
afterEach(() => {
  process.env = { ...saved };
  received.length = 0;
});

const handler = middy(async (event: { fail?: boolean }) => {
  await fixture.table.get(keys.account('a-1'));
  await fetch(`${githubUrl}/app/installations?page=2&code=secret`);
  await fetch(`${githubUrl}/missing`);
  if (event.fail) throw new Error('the handler failed');
  return 'done';
}).use(tracer.handlerMiddleware());

async function documents(count: number) {
  for (let i = 0; i < 100 && received.length < count; i++) await new Promise((r) => setTimeout(r, 10));
  return [...received];
}

describe('tracer (X-Ray subsegments in Lambda)', () => {
  it("sends the handler's, each DynamoDB call's and each fetch's subsegment, in the invocation's trace", async () => {
    lambdaEnvironment();
    expect(await handler({}, {} as never)).toBe('done');
    const sent = await documents(4);
    expect(sent).toHaveLength(4);
    const root = sent.find((d) => d.name === '## index.handler');
    expect(root).toMatchObject({
      type: 'subsegment',
      trace_id: ROOT,
      parent_id: '53995c3f42cd8ad8',
      annotations: { ColdStart: true, Service: 'github-app-accounts' },
    });
    expect(root?.end_time).toBeGreaterThanOrEqual(root?.start_time ?? Infinity);
    const children = sent.filter((d) => d !== root);
    for (const child of children) expect(child).toMatchObject({ trace_id: ROOT, parent_id: root?.id });
    expect(children.find((d) => d.namespace === 'aws')).toMatchObject({
      name: 'DynamoDB',
      aws: { operation: expect.stringMatching(/^Get/), table_name: fixture.tableName, retries: 0 },
      http: { response: { status: 200 } },
    });
    const remote = children.filter((d) => d.namespace === 'remote');
    expect(remote.map((d) => [d.name, d.http?.request?.url, d.http?.response?.status, !!d.error])).toEqual([
      ['127.0.0.1', `${githubUrl}/app/installations`, 200, false],
      ['127.0.0.1', `${githubUrl}/missing`, 404, true],
    ]);
  });

  it('marks a failed invocation as a fault with its error, and later invocations as warm', async () => {
    lambdaEnvironment();
    await expect(handler({ fail: true }, {} as never)).rejects.toThrow('the handler failed');
    const root = (await documents(4)).find((d) => d.name === '## index.handler');
    expect(root).toMatchObject({
      fault: true,
      annotations: { ColdStart: false },
      cause: { exceptions: [{ message: 'the handler failed', type: 'Error' }] },
    });
  });

  it('sends nothing for an unsampled request, with tracing turned off, or outside Lambda', async () => {
    const untraced: Array<Record<string, string>> = [
      { _X_AMZN_TRACE_ID: `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=0` },
      { POWERTOOLS_TRACE_ENABLED: 'false' },
      { AWS_LAMBDA_FUNCTION_NAME: '' },
    ];
    for (const overrides of untraced) {
      lambdaEnvironment(overrides);
      expect(await handler({}, {} as never)).toBe('done');
    }
    // A sampled invocation afterwards is the marker that every datagram before it has arrived.
    lambdaEnvironment();
    await handler({}, {} as never);
    expect(await documents(4)).toHaveLength(4);
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toHaveLength(4);
  });

  it('two invocations at once (a runtime that runs them concurrently): each call joins its own trace', async () => {
    // The runtime's invoke store (the boundary faked here): the trace header of the invocation whose
    // async context asks, as Lambda's Node.js runtime provides it when it runs invocations concurrently.
    const store = new AsyncLocalStorage<string>();
    const runtime = globalThis as { awslambda?: unknown };
    runtime.awslambda = { InvokeStore: { getXRayTraceId: () => store.getStore() } };
    try {
      lambdaEnvironment({ _X_AMZN_TRACE_ID: '' });
      const roots = ['1-5759e988-aaaaaaaaaaaaaaaaaaaaaaaa', '1-5759e988-bbbbbbbbbbbbbbbbbbbbbbbb'];
      const slow = middy(async () => {
        await fixture.table.get(keys.account('a-1'));
        await new Promise((resolve) => setTimeout(resolve, 30));
        await fetch(`${githubUrl}/app/installations`);
        return 'done';
      }).use(tracer.handlerMiddleware());
      await Promise.all(
        roots.map((root, index) =>
          store.run(`Root=${root};Parent=53995c3f42cd8ad${index};Sampled=1`, async () => {
            // The second starts while the first is still running.
            await new Promise((resolve) => setTimeout(resolve, index * 10));
            return slow({}, {} as never);
          }),
        ),
      );
      const sent = await documents(6);
      expect(sent).toHaveLength(6);
      for (const [index, root] of roots.entries()) {
        const handlerSegment = sent.find((d) => d.name === '## index.handler' && d.trace_id === root);
        expect(handlerSegment).toMatchObject({ parent_id: `53995c3f42cd8ad${index}` });
        const children = sent.filter((d) => d.parent_id === handlerSegment?.id);
        expect(children.map((d) => [d.namespace, d.trace_id])).toEqual([
          ['aws', root],
          ['remote', root],
        ]);
      }
    } finally {
      delete runtime.awslambda;
    }
  });

  it('reads the trace header the runtime sets', () => {
    expect(parseTraceHeader(`Root=${ROOT};Parent=abc;Sampled=1;Lineage=x:0`)).toEqual({
      root: ROOT,
      parent: 'abc',
      sampled: true,
    });
    expect(parseTraceHeader('Root=1-2-3')).toBeUndefined();
    expect(parseTraceHeader(undefined)).toBeUndefined();
  });
});
