import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { subscribe } from 'node:diagnostics_channel';
import type { MiddlewareObj } from '@middy/core';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * X-Ray subsegments for each invocation, sent to Lambda's X-Ray daemon: the handler (`## index.handler`,
 * annotated ColdStart and Service), each DynamoDB call (`DynamoDB`, with operation, table, request id,
 * retries) and each `fetch` (named after the host, e.g. `api.github.com`, with method, URL without its
 * query, status). Active only in Lambda with X-Ray tracing on (the stack's default; `-c tracing=false`
 * sets POWERTOOLS_TRACE_ENABLED=false) and for sampled requests: locally and in tests it does nothing.
 *
 * Why not Powertools Tracer: it loads the whole X-Ray SDK (aws-xray-sdk-core, cls-hooked, semver):
 * ~124 KB of every bundle and 10–40 ms of every traced cold start (docs/performance.md), for the
 * three kinds of subsegment above, which are a JSON document in a UDP datagram each
 * (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html). Lambda creates the
 * function's own segments.
 *
 * Concurrency: each call finds its invocation by the trace header it runs under, never by "the last
 * invocation that started": `_X_AMZN_TRACE_ID` with one invocation per container (Lambda's default), or
 * the runtime's invoke store, which answers per async context when the runtime runs invocations
 * concurrently. Open invocations are kept by trace id, and each handler subsegment on its own middy
 * request, so overlapping invocations never share one.
 */

type Document = {
  name: string;
  id: string;
  trace_id: string;
  parent_id: string;
  type: 'subsegment';
  start_time: number;
  end_time?: number;
  namespace?: 'aws' | 'remote';
  annotations?: Record<string, string | number | boolean>;
  aws?: Record<string, unknown>;
  http?: { request?: { method?: string; url?: string }; response?: { status?: number } };
  error?: boolean;
  throttle?: boolean;
  fault?: boolean;
  cause?: { exceptions: Array<{ id: string; message: string; type: string }> };
};

/** `Root=…;Parent=…;Sampled=1` (the runtime sets `_X_AMZN_TRACE_ID` for each invocation). */
export function parseTraceHeader(
  header: string | undefined,
): { root: string; parent: string; sampled: boolean } | undefined {
  if (!header) return undefined;
  const fields: Record<string, string | undefined> = Object.fromEntries(
    header.split(';').map((part): [string, string | undefined] => {
      const [key = '', value] = part.trim().split('=', 2);
      return [key, value];
    }),
  );
  const { Root: root, Parent: parent } = fields;
  if (!root || !parent) return undefined;
  return { root, parent, sampled: fields.Sampled === '1' };
}

/**
 * The invocation's trace header: from the runtime's invoke store when it has one (runtimes that run
 * invocations concurrently), else `_X_AMZN_TRACE_ID` (as Powertools reads it).
 */
function currentTraceHeader(): string | undefined {
  const runtime = (
    globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId?: () => string | undefined } } }
  ).awslambda;
  return runtime?.InvokeStore?.getXRayTraceId?.() ?? process.env._X_AMZN_TRACE_ID;
}

const newId = () => randomBytes(8).toString('hex');
const now = () => Date.now() / 1000;

/** error (4xx), throttle (429) or fault (5xx or no answer), as X-Ray's service map colours them. */
function failureFlags(status: number | undefined): Pick<Document, 'error' | 'throttle' | 'fault'> {
  if (status === undefined || status >= 500) return { fault: true };
  if (status === 429) return { error: true, throttle: true };
  return status >= 400 ? { error: true } : {};
}

export class Tracer {
  private readonly serviceName: string;
  /** Open invocations by trace id (Root): their handler subsegment's id. */
  private readonly invocations = new Map<string, string>();
  private coldStart = true;
  private socket: Socket | undefined;
  private daemon: { address: string; port: number } | undefined;
  private listening = false;
  private readonly requests = new WeakMap<object, Document>();

  constructor(options: { serviceName: string }) {
    this.serviceName = options.serviceName;
  }

  /** In Lambda (the daemon's address is set), tracing not turned off. */
  isTracingEnabled(env: Record<string, string | undefined> = process.env): boolean {
    return (
      env.POWERTOOLS_TRACE_ENABLED !== 'false' &&
      !!env.AWS_LAMBDA_FUNCTION_NAME &&
      !!env.AWS_XRAY_DAEMON_ADDRESS
    );
  }

  /** The invocation the caller runs in (by its trace header), if it is traced. */
  private current(): { traceId: string; handlerId: string } | undefined {
    if (this.invocations.size === 0) return undefined;
    const trace = parseTraceHeader(currentTraceHeader());
    const handlerId = trace ? this.invocations.get(trace.root) : undefined;
    return trace && handlerId ? { traceId: trace.root, handlerId } : undefined;
  }

  /** The handler's subsegment, around everything after it in the middy chain (one per middy request). */
  handlerMiddleware(): MiddlewareObj {
    const handlers = new WeakMap<object, Document>();
    const end = (request: object, error?: unknown) => {
      const handler = handlers.get(request);
      if (!handler) return;
      handlers.delete(request);
      handler.end_time = now();
      if (error instanceof Error)
        Object.assign(handler, {
          fault: true,
          cause: { exceptions: [{ id: newId(), message: error.message, type: error.name }] },
        });
      this.send(handler);
      if (this.invocations.get(handler.trace_id) === handler.id) this.invocations.delete(handler.trace_id);
    };
    return {
      before: (request) => {
        const coldStart = this.coldStart;
        this.coldStart = false;
        const trace = parseTraceHeader(currentTraceHeader());
        if (!trace?.sampled || !this.isTracingEnabled()) return;
        this.listenToFetch();
        const handler: Document = {
          name: `## ${process.env._HANDLER ?? 'index.handler'}`,
          id: newId(),
          trace_id: trace.root,
          parent_id: trace.parent,
          type: 'subsegment',
          start_time: now(),
          annotations: { ColdStart: coldStart, Service: this.serviceName },
        };
        handlers.set(request, handler);
        this.invocations.set(trace.root, handler.id);
      },
      after: (request) => end(request),
      onError: (request) => end(request, request.error),
    };
  }

  /** Each call of this client becomes a subsegment of the current invocation's handler. */
  captureAWSv3Client<T extends DynamoDBClient>(client: T): T {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const invocation = this.current();
        if (!invocation) return next(args);
        const service = (context.clientName ?? 'AWS').replace(/Client$/, '');
        const input = args.input as { TableName?: unknown };
        const subsegment: Document = {
          name: service,
          id: newId(),
          trace_id: invocation.traceId,
          parent_id: invocation.handlerId,
          type: 'subsegment',
          namespace: 'aws',
          start_time: now(),
          aws: {
            operation: (context.commandName ?? '').replace(/Command$/, ''),
            region: process.env.AWS_REGION,
            ...(typeof input.TableName === 'string' ? { table_name: input.TableName } : {}),
          },
        };
        const finish = (metadata: { httpStatusCode?: number; requestId?: string; attempts?: number }) => {
          subsegment.end_time = now();
          Object.assign(subsegment.aws ?? {}, {
            request_id: metadata.requestId,
            retries: Math.max(0, (metadata.attempts ?? 1) - 1),
          });
          subsegment.http = { response: { status: metadata.httpStatusCode } };
          this.send(subsegment);
        };
        try {
          const output = await next(args);
          finish((output.output as { $metadata?: object }).$metadata ?? {});
          return output;
        } catch (error) {
          const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata ?? {};
          Object.assign(subsegment, failureFlags(metadata.httpStatusCode));
          finish(metadata);
          throw error;
        }
      },
      { step: 'initialize', name: 'xrayTracing', override: true },
    );
    return client;
  }

  /** `fetch` (undici) publishes each request's life on diagnostics channels: one subsegment each. */
  private listenToFetch(): void {
    if (this.listening) return;
    this.listening = true;
    type Request = { origin?: string | URL; method?: string; path?: string };
    subscribe('undici:request:create', (message) => {
      const { request } = message as { request: Request };
      const invocation = this.current();
      if (!invocation || !request.origin) return;
      const origin = new URL(String(request.origin));
      this.requests.set(request, {
        name: origin.hostname,
        id: newId(),
        trace_id: invocation.traceId,
        parent_id: invocation.handlerId,
        type: 'subsegment',
        namespace: 'remote',
        start_time: now(),
        // The query is left out: it may carry an OAuth code or state.
        http: {
          request: { method: request.method, url: `${origin.origin}${(request.path ?? '').split('?')[0]}` },
        },
      });
    });
    subscribe('undici:request:headers', (message) => {
      const { request, response } = message as { request: Request; response: { statusCode: number } };
      this.endRequest(request, response.statusCode);
    });
    subscribe('undici:request:error', (message) => {
      this.endRequest((message as { request: Request }).request, undefined);
    });
  }

  private endRequest(request: object, status: number | undefined): void {
    const subsegment = this.requests.get(request);
    if (!subsegment) return;
    this.requests.delete(request);
    subsegment.end_time = now();
    subsegment.http = { ...subsegment.http, response: { status } };
    Object.assign(subsegment, status !== undefined && status < 400 ? {} : failureFlags(status));
    this.send(subsegment);
  }

  /** One UDP datagram per document, as the X-Ray daemon reads them. */
  private send(document: Document): void {
    if (!this.daemon) {
      const address = process.env.AWS_XRAY_DAEMON_ADDRESS ?? '';
      // `host:port`, or `tcp:host:port udp:host:port` (only UDP carries segments).
      const udp = address.split(' ').find((part) => !part.startsWith('tcp:')) ?? '';
      const [host, port] = udp.replace(/^udp:/, '').split(':');
      if (!host || !port) return;
      this.daemon = { address: host, port: Number(port) };
    }
    this.socket ??= createSocket('udp4').unref();
    const datagram = `{"format":"json","version":1}\n${JSON.stringify(document)}`;
    this.socket.send(datagram, this.daemon.port, this.daemon.address);
  }
}

/** One tracer per container. */
export const tracer = new Tracer({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'github-app-accounts',
});
