import { apiEvent, context } from '../support/events.js';
import { startService, type ServiceFixture } from '../support/service.js';

/**
 * Issue #22, finding 7: `GET /accounts/%ZZ` answered 500 on the local server (decodeURIComponent threw
 * in local/api-event.ts). Malformed percent-encoding is 400 `invalid_path` everywhere: through the
 * local server, and in the Lambda handlers themselves, whatever API Gateway hands them.
 */
let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService();
});
afterAll(() => fx?.close());

const MALFORMED = [
  '/accounts/%ZZ',
  '/accounts/%',
  '/accounts/abc%2',
  '/accounts/%C3%28', // not UTF-8
  '/accounts/%ZZ/installations',
  '/accounts/acme/repositories/octo-org/web-app/contents/src/%E0%A4%A',
  '/accounts/acme/repositories/octo-org/%ZZ/tree',
  '/no-such-route/%ZZ',
];

describe('malformed percent-encoding in the path', () => {
  it.each(MALFORMED)('GET %s through the local server is 400 invalid_path', async (path) => {
    const response = await fetch(`${fx.api.url}${path}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_path', message: expect.any(String) });
  });

  it('a Lambda handler given the raw path and parameter (as API Gateway may pass them) answers 400 invalid_path', async () => {
    const { handler } = await import('../../functions/accounts/handler.js');
    const event = apiEvent({
      routeKey: 'GET /accounts/{accountId}',
      rawPath: '/accounts/%ZZ',
      pathParameters: { accountId: '%ZZ' },
    });
    const answer = await handler(event, context('accounts'));
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body ?? '{}')).toMatchObject({ error: 'invalid_path' });
  });

  it('well-formed encodings still reach their routes', async () => {
    // %2D is "-": an account id that exists nowhere, answered as not found (no session: 401 first).
    const response = await fetch(`${fx.api.url}/accounts/a%2Db`);
    expect(response.status).toBe(401);
  });
});
