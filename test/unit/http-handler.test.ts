import {
  BadRequestError,
  ForbiddenError,
  NotImplementedError,
  UpstreamError,
} from '../../functions/shared/errors.js';
import { RequestError } from '@octokit/request-error';
import { createHttpHandler } from '../../functions/shared/http/http-handler.js';
import { json } from '../../functions/shared/http/responses.js';
import { apiEvent, context } from '../support/events.js';

// Token-shaped values built at run time, so no token-like literal sits in the repository.
const FAKE_USER_TOKEN = 'ghu_' + 'x'.repeat(36);
const FAKE_INSTALLATION_TOKEN = 'ghs_' + 'y'.repeat(36);

const handler = createHttpHandler({
  'POST /echo': { body: 'json', handle: (request) => Promise.resolve(json(200, { got: request.body })) },
  'POST /raw': {
    body: 'raw',
    handle: (request) => Promise.resolve(json(200, { bytes: request.rawBody.length })),
  },
  'GET /cookies': { handle: (request) => Promise.resolve(json(200, request.cookies)) },
  'GET /bad': { handle: () => Promise.reject(new BadRequestError('invalid_name', 'Name is too long.')) },
  'GET /forbidden': { handle: () => Promise.reject(new ForbiddenError('not_allowed', 'Owners only.')) },
  'GET /later': {
    handle: () =>
      Promise.reject(
        new UpstreamError('github_unavailable', 'GitHub is busy.', {
          statusCode: 503,
          retryAfterSeconds: 30,
        }),
      ),
  },
  'GET /todo': { handle: () => Promise.reject(new NotImplementedError()) },
  'GET /github': {
    handle: () =>
      Promise.reject(
        new RequestError(`Validation Failed - token ${FAKE_INSTALLATION_TOKEN}`, 422, {
          request: { method: 'POST', url: 'https://api.github.com/x', headers: {} },
        }),
      ),
  },
  'GET /crash': {
    handle: () => Promise.reject(new Error(`connect ECONNREFUSED 10.0.0.1:443 token ${FAKE_USER_TOKEN}`)),
  },
});

const call = async (event: Parameters<typeof handler>[0]) => {
  const response = await handler(event, context());
  return {
    ...response,
    json: response.body ? (JSON.parse(response.body) as Record<string, unknown>) : undefined,
  };
};

describe('createHttpHandler', () => {
  it('parses a JSON body for routes that declare one', async () => {
    const response = await call(
      apiEvent({ routeKey: 'POST /echo', headers: { 'content-type': 'application/json' }, body: '{"a":1}' }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ got: { a: 1 } });
  });

  it('decodes base64 JSON bodies as API Gateway sends them', async () => {
    const body = Buffer.from('{"b":2}').toString('base64');
    const response = await call(
      apiEvent({
        routeKey: 'POST /echo',
        headers: { 'content-type': 'application/json' },
        body,
        isBase64Encoded: true,
      }),
    );
    expect(response.json).toEqual({ got: { b: 2 } });
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const response = await call(
      apiEvent({ routeKey: 'POST /echo', headers: { 'content-type': 'application/json' }, body: '{"a":' }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.json).toEqual({ error: 'invalid_json', message: 'The request body is not valid JSON.' });
  });

  it('answers a missing JSON body with 400 invalid_json', async () => {
    const response = await call(
      apiEvent({ routeKey: 'POST /echo', headers: { 'content-type': 'application/json' } }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.json?.error).toBe('invalid_json');
  });

  it('answers a non-JSON content type with 415', async () => {
    const response = await call(
      apiEvent({ routeKey: 'POST /echo', headers: { 'content-type': 'text/plain' }, body: 'hi' }),
    );
    expect(response.statusCode).toBe(415);
    expect(response.json?.error).toBe('unsupported_media_type');
  });

  it('hands raw routes the exact bytes, base64-decoded', async () => {
    const body = Buffer.from([0, 1, 2, 255]).toString('base64');
    const response = await call(apiEvent({ routeKey: 'POST /raw', body, isBase64Encoded: true }));
    expect(response.json).toEqual({ bytes: 4 });
  });

  it('parses the cookies API Gateway moves out of the headers', async () => {
    const response = await call(
      apiEvent({ routeKey: 'GET /cookies', cookies: ['session=abc%3D', 'theme=dark'] }),
    );
    expect(response.json).toEqual({ session: 'abc=', theme: 'dark' });
  });

  it.each([
    ['/bad', 400, 'invalid_name', 'Name is too long.'],
    ['/forbidden', 403, 'not_allowed', 'Owners only.'],
    ['/todo', 501, 'not_implemented', expect.any(String) as string],
  ])('maps the typed error of GET %s to %i', async (path, status, code, message) => {
    const response = await call(apiEvent({ routeKey: `GET ${path}` }));
    expect(response.statusCode).toBe(status);
    expect(response.json).toEqual({ error: code, message });
    expect(response.headers['Content-Type']).toMatch(/^application\/json/);
  });

  it('carries Retry-After on upstream 503s', async () => {
    const response = await call(apiEvent({ routeKey: 'GET /later' }));
    expect(response.statusCode).toBe(503);
    expect(response.headers['Retry-After']).toBe('30');
  });

  it('answers unexpected errors with a generic 500 that leaks nothing', async () => {
    const response = await call(apiEvent({ routeKey: 'GET /crash' }));
    expect(response.statusCode).toBe(500);
    expect(response.json).toEqual({ error: 'internal_error', message: 'Something went wrong on our side.' });
    expect(response.body).not.toMatch(/ECONNREFUSED|ghu_|stack|10\.0\.0\.1/);
  });

  it('answers an unexpected GitHub answer with 502 github_error, showing none of it', async () => {
    const response = await call(apiEvent({ routeKey: 'GET /github' }));
    expect(response.statusCode).toBe(502);
    expect(response.json).toEqual({
      error: 'github_error',
      message: 'GitHub gave an unexpected answer. Try again later.',
    });
  });

  it('adds security headers and no-store to every answer, errors included', async () => {
    for (const routeKey of ['GET /cookies', 'GET /crash', 'GET /bad']) {
      const response = await call(apiEvent({ routeKey }));
      expect(response.headers).toMatchObject({
        'Strict-Transport-Security': expect.stringContaining('max-age=') as string,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      });
    }
  });

  it('answers an unknown route key with 404', async () => {
    const response = await call(apiEvent({ routeKey: 'GET /nowhere' }));
    expect(response.statusCode).toBe(404);
    expect(response.json?.error).toBe('route_not_found');
  });
});
