import { matchRoute, toApiGatewayEvent } from '../../local/api-event.js';
import { ROUTES } from '../../functions/shared/service-routes.js';

describe('matchRoute', () => {
  it('matches templates and captures path parameters', () => {
    const match = matchRoute(ROUTES, 'PUT', '/accounts/team-a/installations/42');
    expect(match?.route.fn).toBe('link-installation');
    expect(match?.pathParameters).toEqual({ accountId: 'team-a', installationId: '42' });
  });

  it('tells methods apart on the same path', () => {
    expect(matchRoute(ROUTES, 'GET', '/accounts')?.route.fn).toBe('accounts');
    expect(matchRoute(ROUTES, 'DELETE', '/accounts')).toBeUndefined();
  });

  it('does not match empty segments or extra segments', () => {
    expect(matchRoute(ROUTES, 'GET', '/accounts//installations')).toBeUndefined();
    expect(matchRoute(ROUTES, 'GET', '/health/extra')).toBeUndefined();
  });
});

describe('toApiGatewayEvent', () => {
  const match = {
    route: { method: 'POST' as const, path: '/accounts/{accountId}/members', fn: 'accounts' as const },
    pathParameters: { accountId: 'a' },
  };

  it('builds a payload v2 event: cookies split out, repeated query values joined, JSON kept as text', () => {
    const event = toApiGatewayEvent(
      {
        method: 'POST',
        url: new URL('http://localhost:3000/accounts/a/members?x=1&x=2&y=3'),
        headers: { 'content-type': 'application/json', cookie: 'session=abc; theme=dark', 'x-custom': 'v' },
        body: Buffer.from('{"login":"octocat"}'),
        sourceIp: '127.0.0.1',
      },
      match,
    );
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /accounts/{accountId}/members',
      rawPath: '/accounts/a/members',
      rawQueryString: 'x=1&x=2&y=3',
      cookies: ['session=abc', 'theme=dark'],
      queryStringParameters: { x: '1,2', y: '3' },
      pathParameters: { accountId: 'a' },
      body: '{"login":"octocat"}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/accounts/a/members' }, stage: '$default' },
    });
    expect(event.headers).toEqual({ 'content-type': 'application/json', 'x-custom': 'v' });
  });

  it('base64-encodes bodies that are not text, as HTTP APIs do', () => {
    const event = toApiGatewayEvent(
      {
        method: 'POST',
        url: new URL('http://localhost/accounts/a/members'),
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from([0xff, 0x00]),
        sourceIp: '127.0.0.1',
      },
      match,
    );
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).toBe('/wA=');
  });
});
