import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { lambdaContext } from '../../local/api-event.js';

/** An API Gateway HTTP API v2 event for unit tests of handlers. */
export function apiEvent(
  overrides: Partial<APIGatewayProxyEventV2> & { routeKey: string },
): APIGatewayProxyEventV2 {
  const [method = 'GET', path = '/'] = overrides.routeKey.split(' ');
  return {
    version: '2.0',
    rawPath: path,
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    ...overrides,
    requestContext: {
      accountId: 'test',
      apiId: 'test',
      domainName: 'api.test',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'req-1',
      routeKey: overrides.routeKey,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  };
}

export function context(name = 'test'): Context {
  return lambdaContext(name);
}

/** A signed-webhook `installation` payload as GitHub sends it, for installation `id` on `org-<id>`. */
export const installationPayload = (
  id: number,
  action: string,
  overrides: Record<string, unknown> = {},
  login = `org-${id}`,
) => ({
  action,
  installation: {
    id,
    account: { login, id: id + 1_000_000, type: 'Organization', avatar_url: 'https://avatars.test/x' },
    app_slug: 'platform-app',
    target_type: 'Organization',
    repository_selection: 'all',
    permissions: { administration: 'write', contents: 'write', metadata: 'read' },
    events: [],
    suspended_at: null,
    updated_at: '2026-01-01T00:00:00Z',
    ...overrides,
  },
  sender: { login: 'octo', id: 1 },
});
