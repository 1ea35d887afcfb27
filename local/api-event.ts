import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { RouteSpec } from '../functions/shared/service-routes.js';

export type RouteMatch = {
  route: { method: string; path: string };
  pathParameters: Record<string, string>;
  /** Set for API Gateway's `$default` route, whose route key is not `METHOD /path`. */
  routeKey?: string;
};

/** A segment decoded, or as it is when its percent-encoding is malformed (the handler answers 400). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Matches a request against the route table as API Gateway does: exact segments, `{name}` captures one. */
export function matchRoute(
  routes: readonly RouteSpec[],
  method: string,
  path: string,
): (RouteMatch & { route: RouteSpec }) | undefined {
  const segments = path.split('/').slice(1);
  for (const route of routes) {
    if (route.method !== method) continue;
    const template = route.path.split('/').slice(1);
    const greedy = /^\{(\w+)\+\}$/.exec(template.at(-1) ?? '')?.[1];
    if (greedy ? segments.length < template.length : template.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = template.every((part, index) => {
      const segment = segments[index] ?? '';
      if (greedy && index === template.length - 1) {
        // API Gateway's `{name+}`: the rest of the path, slashes included, under `name`.
        const rest = segments.slice(index);
        if (rest.some((piece) => piece === '')) return false;
        pathParameters[greedy] = rest.map(decodeSegment).join('/');
        return true;
      }
      const capture = /^\{(\w+)\}$/.exec(part);
      if (capture?.[1]) {
        if (segment === '') return false;
        pathParameters[capture[1]] = decodeSegment(segment);
        return true;
      }
      return part === segment;
    });
    if (matches) return { route, pathParameters };
  }
  return undefined;
}

/** Content types HTTP APIs pass as text; any other body arrives base64-encoded. */
function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^(text\/|application\/(json|.+\+json|xml|.+\+xml|x-www-form-urlencoded|javascript))/i.test(
    contentType,
  );
}

export type RawRequest = {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceIp: string;
};

/** Builds the API Gateway HTTP API payload v2.0 event a Lambda would receive for this request. */
export function toApiGatewayEvent(
  request: RawRequest,
  match: RouteMatch,
  requestId: string = randomUUID(),
  /** An IAM-authorized route's caller (local/sigv4-auth.ts), as API Gateway's IAM authorizer sets it. */
  authorizer?: { iam: Record<string, unknown> },
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    // HTTP APIs move cookies out of the headers into `cookies`, one entry per cookie.
    if (lower === 'cookie') {
      cookies = (Array.isArray(value) ? value.join('; ') : value)
        .split(';')
        .map((cookie) => cookie.trim())
        .filter(Boolean);
      continue;
    }
    headers[lower] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const key of new Set(request.url.searchParams.keys())) {
    query[key] = request.url.searchParams.getAll(key).join(',');
  }
  const text = isTextContentType(headers['content-type']);
  const now = new Date();
  const routeKey = match.routeKey ?? `${match.route.method} ${match.route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: request.url.pathname,
    rawQueryString: request.url.search.replace(/^\?/, ''),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(match.pathParameters).length ? { pathParameters: match.pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: request.url.host,
      domainPrefix: request.url.hostname.split('.')[0] ?? 'localhost',
      http: {
        method: request.method,
        path: request.url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      ...(authorizer ? { authorizer } : {}),
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(request.body.length
      ? { body: text ? request.body.toString('utf8') : request.body.toString('base64') }
      : {}),
    isBase64Encoded: request.body.length > 0 && !text,
  };
}

/** A Lambda context good enough for Powertools and middy. */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
