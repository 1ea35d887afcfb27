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
