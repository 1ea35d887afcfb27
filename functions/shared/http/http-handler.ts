import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpSecurityHeaders from '@middy/http-security-headers';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { NotFoundError } from '../errors.js';
import { logger } from '../logger.js';
import { flushMetrics } from '../metrics.js';
import { tracer } from '../tracer.js';
import { errorToResponse } from './error-response.js';
import { idempotentRequests } from './idempotency.js';
import { assertWellEncodedPath } from './path-encoding.js';
import { rawBodyOf, toHttpRequest, type HttpRequest } from './request.js';
import type { HttpResponse } from './responses.js';

export type RouteHandler = (request: HttpRequest) => Promise<HttpResponse>;

export type Route = {
  /** `json`: body must be JSON (415/400 otherwise). `raw`: untouched bytes. `none`: ignored. */
  readonly body?: 'json' | 'raw' | 'none';
  readonly handle: RouteHandler;
  /**
   * Mutating routes (POST, PUT, PATCH, DELETE) honour `Idempotency-Key` (http/idempotency.ts) unless
   * this is false: sign-out and GitHub's webhooks (deduplicated by delivery id) have no use for it.
   */
  readonly idempotencyKey?: false;
};

/** Route keys exactly as API Gateway writes them: `GET /accounts/{accountId}`. */
export type RouteTable = Readonly<Record<string, Route>>;

export type HttpLambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;

const jsonParser = httpJsonBodyParser();

/**
 * Wraps a function's routes in the shared middleware stack: request-scoped structured logging,
 * header normalisation, JSON parsing where a route asks for it, security headers on every answer, and
 * typed errors mapped to `{ error, message }` bodies in one place.
 */
export function createHttpHandler(routes: RouteTable): HttpLambdaHandler {
  // The JSON parser replaces event.body; the exact bytes are kept first for routes that need them.
  const rawBodies = new WeakMap<APIGatewayProxyEventV2, Buffer>();

  // Idempotency-Key, in one place for every route: claimed (or replayed) in dispatch, the outcome kept by
  // its middleware, used before errorResponses so that its onError sees the final (mapped) answer.
  const idempotency = idempotentRequests();

  const dispatch = async (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResponse> => {
    assertWellEncodedPath(event.rawPath);
    const route = routes[event.routeKey];
    if (route === undefined) throw new NotFoundError('route_not_found', `No route for ${event.routeKey}.`);
    const body: unknown = route.body === 'json' ? event.body : undefined;
    const request = toHttpRequest(event, body, rawBodies.get(event) ?? rawBodyOf(event));
    if (route.idempotencyKey !== false) {
      const replayed = await idempotency.begin(request, context);
      if (replayed) return replayed;
    }
    return route.handle(request);
  };

  // API Gateway's request id is the correlation id: on every log line and, as x-request-id, every answer.
  const requestKeys: Middleware = {
    before: (request) => {
      const accountId = request.event.pathParameters?.accountId;
      logger.appendKeys({
        requestId: request.event.requestContext.requestId,
        routeKey: request.event.routeKey,
        ...(accountId === undefined ? {} : { accountId }),
      });
    },
  };
  const requestIdHeader: Middleware = {
    after: (request) => withRequestId(request),
    onError: (request) => withRequestId(request),
  };
  const errorResponses: Middleware = {
    onError: (request) => {
      request.response = errorToResponse(request.error);
    },
  };
  const jsonBodies: Middleware = {
    before: async (request) => {
      if (routes[request.event.routeKey]?.body !== 'json') return;
      rawBodies.set(request.event, rawBodyOf(request.event));
      await jsonParser.before?.(request as never);
    },
  };

  return middy<APIGatewayProxyEventV2, HttpResponse>(dispatch)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(requestIdHeader)
    .use(flushMetrics())
    .use(tracer.handlerMiddleware())
    .use(requestKeys)
    .use(httpHeaderNormalizer())
    .use(httpSecurityHeaders())
    .use(idempotency.middleware)
    .use(errorResponses)
    .use(jsonBodies);
}

/** Runs after errorResponses' onError (it is used before it), so error answers carry the header too. */
function withRequestId(request: { event: APIGatewayProxyEventV2; response: HttpResponse | null }): void {
  if (!request.response) return;
  logger.debug('Answered', { status: request.response.statusCode });
  request.response.headers = {
    ...request.response.headers,
    'x-request-id': request.event.requestContext.requestId,
  };
}

type Middleware = MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, Context>;
