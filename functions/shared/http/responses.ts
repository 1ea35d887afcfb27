import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

// API answers carry sessions and account data: no shared cache may keep them.
const NO_STORE = { 'Cache-Control': 'no-store' } as const;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...NO_STORE, ...headers },
    body: JSON.stringify(body),
  };
}

export function noContent(headers: Record<string, string> = {}, cookies?: string[]): HttpResponse {
  return { statusCode: 204, headers: { ...NO_STORE, ...headers }, ...(cookies ? { cookies } : {}) };
}

export function redirect(location: string, cookies?: string[]): HttpResponse {
  return {
    statusCode: 302,
    headers: { Location: location, ...NO_STORE },
    body: '',
    ...(cookies ? { cookies } : {}),
  };
}
