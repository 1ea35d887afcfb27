import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** A DynamoDB operation as its `X-Amz-Target` names it: `PutItem`, `TransactWriteItems`, … */
export type DynamoOperation = string;

export type DynamoFault = {
  /** Operations it applies to; all when omitted. */
  operations?: DynamoOperation[];
  /**
   * Only requests whose JSON body (and headers) this accepts, e.g. a key prefix; the SDK's
   * `amz-sdk-invocation-id` header names one SDK call across its retries.
   */
  match?: (body: Record<string, unknown>, headers: IncomingHttpHeaders) => boolean;
  /** How many matching requests it applies to (default 1; Infinity for all). */
  count?: number;
  /**
   * `fail`: answer with a DynamoDB error and do nothing; `delay`: forward after `delayMs`;
   * `drop`: forward (the write happens) and then cut the connection, the answer lost;
   * `freeze`: never answer (until the proxy closes).
   */
  mode: 'fail' | 'delay' | 'drop' | 'freeze';
  /** For `fail`: DynamoDB's error type and HTTP status (default InternalServerError, 500). */
  errorType?: string;
  status?: number;
  delayMs?: number;
};

export type DynamoFaultProxy = {
  endpoint: string;
  inject(fault: DynamoFault): void;
  clear(): void;
  /**
   * Requests seen, in order, with what the proxy did and, once DynamoDB answered a forwarded one, its
   * status (a 200 is a write that landed, even when its answer was then dropped or the client had
   * stopped waiting). `invocationId` names one SDK call across its retries.
   */
  calls: Array<{
    operation: DynamoOperation;
    fault: DynamoFault['mode'] | undefined;
    invocationId: string | undefined;
    body: Record<string, unknown>;
    status?: number;
  }>;
  close(): Promise<void>;
};

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/**
 * A small HTTP proxy in front of DynamoDB Local that fails, delays, drops or freezes named operations,
 * so tests can put DynamoDB's real failure modes between the service and its table.
 */
export async function startDynamoFaultProxy(target: string): Promise<DynamoFaultProxy> {
  const upstream = new URL(target);
  const faults: Array<DynamoFault & { remaining: number }> = [];
  const calls: DynamoFaultProxy['calls'] = [];

  const take = (operation: string, body: Record<string, unknown>, headers: IncomingHttpHeaders) => {
    const fault = faults.find(
      (candidate) =>
        candidate.remaining > 0 &&
        (candidate.operations === undefined || candidate.operations.includes(operation)) &&
        (candidate.match === undefined || candidate.match(body, headers)),
    );
    if (fault) {
      fault.remaining--;
      if (fault.remaining <= 0) faults.splice(faults.indexOf(fault), 1);
    }
    return fault;
  };

  const forward = (req: IncomingMessage, raw: Buffer) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
      (resolve, reject) => {
        const out = httpRequest(
          {
            hostname: upstream.hostname,
            port: upstream.port,
            path: req.url,
            method: req.method,
            headers: { ...req.headers, host: upstream.host },
          },
          (res) => {
            void readBody(res).then(
              (body) => resolve({ status: res.statusCode ?? 500, headers: res.headers, body }),
              reject,
            );
          },
        );
        out.on('error', reject);
        out.end(raw);
      },
    );

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        // not JSON: forwarded as is
      }
      const fault = take(operation, body, req.headers);
      const invocationId = req.headers['amz-sdk-invocation-id'];
      const call: DynamoFaultProxy['calls'][number] = {
        operation,
        fault: fault?.mode,
        invocationId: typeof invocationId === 'string' ? invocationId : undefined,
        body,
      };
      calls.push(call);
      if (fault?.mode === 'freeze') return; // the socket stays open, unanswered
      if (fault?.mode === 'fail') {
        const type = fault.errorType ?? 'InternalServerError';
        res
          .writeHead(fault.status ?? 500, { 'content-type': 'application/x-amz-json-1.0' })
          .end(
            JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'Injected fault' }),
          );
        return;
      }
      if (fault?.mode === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1000));
      const answer = await forward(req, raw);
      call.status = answer.status;
      if (fault?.mode === 'drop') {
        res.socket?.destroy();
        return;
      }
      res.writeHead(answer.status, answer.headers).end(answer.body);
    })().catch(() => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inject: (fault) => faults.push({ ...fault, remaining: fault.count ?? 1 }),
    clear: () => void faults.splice(0, faults.length),
    calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
