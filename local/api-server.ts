import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpLambdaHandler } from '../functions/shared/http/http-handler.js';
import {
  DEFAULT_ROUTE,
  ROUTES,
  type FunctionName,
  type RouteSpec,
} from '../functions/shared/service-routes.js';
import { lambdaContext, matchRoute, toApiGatewayEvent } from './api-event.js';
import { HANDLER_LOADERS } from './handlers.js';
import { inInvocationScope } from './invocation-scope.js';
import { serveConsole } from './console-site.js';
import { verifySigV4, type ServiceCredential } from './sigv4-auth.js';

export type LocalApiServerOptions = {
  port: number;
  host?: string;
  /** Origins CORS allows with credentials, as the HTTP API's corsPreflight does in AWS. */
  frontendOrigins: readonly string[];
  routes?: readonly RouteSpec[];
  loadHandler?: (fn: FunctionName) => Promise<{ handler: HttpLambdaHandler }>;
  /** Largest request body accepted: Lambda's 6 MB request limit (API Gateway alone would take 10 MB). */
  maxBodyBytes?: number;
  onRequest?: (line: RequestLine) => void;
  /** Every answer as sent (tests check each against openapi.yaml). */
  onResponse?: (answer: ObservedResponse) => void;
  /** The built console, served under /console/ on this origin (as CloudFront does in AWS). */
  consoleDir?: string;
  /**
   * This server's public origin (API_BASE_URL's): where the session cookie lives. With a console, `/`
   * opens it and a console page asked on another name of this host (127.0.0.1 for localhost) moves
   * there first, since a cookie set for one host name is never sent to another.
   */
  canonicalOrigin?: string;
  /**
   * Hold each function to its IAM grants (local/access-guard.ts; default on). The guard sits on this
   * process's shared clients (functions/shared/services.ts); prebuilt bundles bring their own, so the
   * bundle server turns it off (the grants are checked on the sources by every other suite).
   */
  guardAccess?: boolean;
  /**
   * Who may call the IAM-authorized routes (`auth: 'iam'`): SigV4 is verified against these, as API
   * Gateway's IAM authorizer does (local/sigv4-auth.ts). None: every such request is refused (403).
   */
  serviceCredentials?: readonly ServiceCredential[];
  /** The SigV4 region (AWS_REGION's, `us-east-1` by default), as the API's own region in AWS. */
  region?: string;
};

export type ObservedResponse = {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string | number | string[] | undefined>;
  body: Buffer;
};

/** What `npm start` prints for each request; requestId is the one in x-request-id and the log lines. */
export type RequestLine = { method: string; path: string; status: number; ms: number; requestId: string };

export type LocalApiServer = { url: string; server: Server; close(): Promise<void> };

/** Lambda refuses a synchronous invocation over 6 MB; API Gateway then answers 413. */
export const LAMBDA_MAX_REQUEST_BYTES = 6 * 1024 * 1024;

const CORS_METHODS = 'GET,POST,PUT,PATCH,DELETE';
const CORS_HEADERS = 'content-type,authorization,idempotency-key';
const LOCAL_REGION = 'us-east-1';

/**
 * An HTTP server that does what API Gateway does in front of the Lambdas: match the route, build the
 * v2 event, invoke the same handler module, and write its result back (cookies, base64 bodies, CORS).
 */
export async function startLocalApiServer(options: LocalApiServerOptions): Promise<LocalApiServer> {
  const routes = options.routes ?? ROUTES;
  const load = options.loadHandler ?? ((fn: FunctionName) => HANDLER_LOADERS[fn]());
  const maxBody = options.maxBodyBytes ?? LAMBDA_MAX_REQUEST_BYTES;
  const handlers = new Map<FunctionName, Promise<{ handler: HttpLambdaHandler }>>();

  const server = createServer((req, res) => {
    const started = performance.now();
    // API Gateway's request id: in the event, and in x-request-id on every answer, its own ones too.
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    handle(req, res, requestId)
      .catch((error: unknown) => {
        // What API Gateway answers when the integration itself fails.
        process.stderr.write(`local api: ${requestId} ${(error as Error).stack ?? String(error)}\n`);
        if (!res.headersSent) answerJson(req, res, 500, { message: 'Internal Server Error' });
        else res.end();
      })
      .finally(() => {
        options.onRequest?.({
          method: req.method ?? '',
          path: (req.url ?? '').split('?')[0] ?? '',
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
          requestId,
        });
      });
  });

  /** API Gateway's own answers (bare `{ message }`), reported like the handlers' ones. */
  function answerJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    const payload = writeJson(res, status, body);
    options.onResponse?.({
      method: (req.method ?? 'GET').toUpperCase(),
      path: (req.url ?? '').split('?')[0] ?? '',
      status,
      headers: res.getHeaders(),
      body: payload,
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    if (options.consoleDir && options.canonicalOrigin && (method === 'GET' || method === 'HEAD')) {
      const page =
        url.pathname === '/'
          ? `/console/${url.search}`
          : url.origin !== options.canonicalOrigin && /^\/console(\/|$)/.test(url.pathname)
            ? `${url.pathname}${url.search}`
            : undefined;
      if (page !== undefined) {
        res.writeHead(302, { location: `${options.canonicalOrigin}${page}` }).end();
        return;
      }
    }
    if (options.consoleDir && (await serveConsole(options.consoleDir, req, res, url.pathname))) return;
    const origin = req.headers.origin;
    const allowedOrigin = origin && options.frontendOrigins.includes(origin) ? origin : undefined;
    if (allowedOrigin) {
      res.setHeader('Access-Control-Allow-Origin', allowedOrigin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'x-request-id');
    }
    if (method === 'OPTIONS' && req.headers['access-control-request-method']) {
      if (allowedOrigin) {
        res.setHeader('Access-Control-Allow-Methods', CORS_METHODS);
        res.setHeader('Access-Control-Allow-Headers', CORS_HEADERS);
        res.setHeader('Access-Control-Max-Age', '3600');
      }
      res.writeHead(204).end();
      return;
    }
    const body = await readBody(req, maxBody);
    if (body === 'too_large') {
      answerJson(req, res, 413, { message: 'Request Entity Too Large' });
      return;
    }
    // Like API Gateway: a request no route matches goes to the `$default` route's function (404/405).
    const matched = matchRoute(routes, method, url.pathname);
    const fn = matched?.route.fn ?? DEFAULT_ROUTE.fn;
    // API Gateway's IAM authorizer: checked before the function is invoked; a refusal never reaches it.
    let authorizer: { iam: Record<string, unknown> } | undefined;
    if (matched?.route.auth === 'iam') {
      const verified = await verifySigV4(
        { method, url, headers: req.headers, body },
        {
          credentials: options.serviceCredentials ?? [],
          region: options.region ?? process.env.AWS_REGION ?? LOCAL_REGION,
        },
      );
      if (!verified.ok) {
        answerJson(req, res, verified.status, { error: verified.error, message: verified.message });
        return;
      }
      authorizer = { iam: verified.iam };
    }
    const event = toApiGatewayEvent(
      { method, url, headers: req.headers, body, sourceIp: req.socket.remoteAddress ?? '127.0.0.1' },
      matched ?? {
        route: { method, path: url.pathname },
        pathParameters: {},
        routeKey: DEFAULT_ROUTE.routeKey,
      },
      requestId,
      authorizer,
    );
    let loaded = handlers.get(fn);
    if (!loaded) {
      loaded = load(fn);
      handlers.set(fn, loaded);
    }
    const { handler } = await loaded;
    const result = await inInvocationScope(fn, () => handler(event, lambdaContext(fn)), {
      guard: options.guardAccess !== false,
    });
    for (const [name, value] of Object.entries(result.headers ?? {})) {
      // middy's security headers set Server/X-Powered-By to undefined to mean "send none".
      if (value !== undefined) res.setHeader(name, String(value));
    }
    if (result.cookies?.length) res.setHeader('Set-Cookie', result.cookies);
    const payload =
      result.body === undefined
        ? Buffer.alloc(0)
        : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
    res.writeHead(result.statusCode).end(payload);
    options.onResponse?.({
      method,
      path: url.pathname,
      status: result.statusCode,
      headers: res.getHeaders(),
      body: payload,
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function writeJson(res: ServerResponse, status: number, body: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(body));
  res.setHeader('Content-Type', 'application/json');
  res.writeHead(status).end(payload);
  return payload;
}
