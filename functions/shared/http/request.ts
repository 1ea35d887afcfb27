import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** What a route handler sees: the parts of the API Gateway v2 event it needs, already normalised. */
export type HttpRequest<Body = unknown> = {
  readonly event: APIGatewayProxyEventV2;
  readonly routeKey: string;
  readonly requestId: string;
  readonly pathParameters: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly cookies: Readonly<Record<string, string>>;
  /** Parsed JSON for routes declared `body: 'json'`; undefined otherwise. */
  readonly body: Body;
  /** The exact bytes received, for routes declared `body: 'raw'` (webhook signatures). */
  readonly rawBody: Buffer;
};

export function parseCookies(cookies: readonly string[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const cookie of cookies ?? []) {
    for (const part of cookie.split(';')) {
      const index = part.indexOf('=');
      if (index <= 0) continue;
      const name = part.slice(0, index).trim();
      // First value wins, as browsers send the most specific cookie first.
      if (name && !(name in result)) result[name] = safeDecode(part.slice(index + 1).trim());
    }
  }
  return result;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function rawBodyOf(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

export function toHttpRequest(event: APIGatewayProxyEventV2, body: unknown, rawBody: Buffer): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    event,
    routeKey: event.routeKey,
    requestId: event.requestContext.requestId,
    pathParameters: event.pathParameters ?? {},
    query: event.queryStringParameters ?? {},
    headers,
    cookies: parseCookies(event.cookies),
    body,
    rawBody,
  };
}
