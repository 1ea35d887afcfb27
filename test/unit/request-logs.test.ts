import { captureOutput } from '../support/capture-output.js';
import { parseLogSettings, toText } from '../../local/log-output.js';

// Every line; set before the logger module loads.
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
const output = captureOutput();
const { createHttpHandler } = await import('../../functions/shared/http/http-handler.js');
const { json } = await import('../../functions/shared/http/responses.js');
const { ForbiddenError } = await import('../../functions/shared/errors.js');
const { logger } = await import('../../functions/shared/logger.js');
const { apiEvent, context } = await import('../support/events.js');

afterAll(() => output.restore());

const handler = createHttpHandler({
  'GET /mine': {
    handle: () => {
      logger.appendKeys({ userId: 7 });
      logger.info('Mine');
      return Promise.resolve(json(200, {}));
    },
  },
  'GET /theirs': {
    handle: () => {
      logger.info('Theirs');
      return Promise.reject(new ForbiddenError('not_allowed', 'Owners only.'));
    },
  },
});

const withId = (routeKey: string, requestId: string) => {
  const event = apiEvent({ routeKey });
  event.requestContext.requestId = requestId;
  return event;
};

const lines = () =>
  output
    .text()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('request logs in Lambda (one invocation at a time, no invocation scope)', () => {
  it('answer x-request-id, and start each invocation without the previous one’s keys', async () => {
    const mine = await handler(withId('GET /mine', 'req-1'), context('fn'));
    const theirs = await handler(withId('GET /theirs', 'req-2'), context('fn'));
    expect(mine.headers['x-request-id']).toBe('req-1');
    expect(theirs.statusCode).toBe(403);
    expect(theirs.headers['x-request-id']).toBe('req-2');
    const all = lines();
    expect(all.find((line) => line.message === 'Mine')).toMatchObject({
      requestId: 'req-1',
      routeKey: 'GET /mine',
      userId: 7,
    });
    const second = all.filter((line) => line.requestId === 'req-2');
    expect(second.map((line) => line.message)).toEqual(
      expect.arrayContaining(['Theirs', 'Request rejected', 'Rejection reason']),
    );
    for (const line of second) expect(line).not.toHaveProperty('userId');
    expect(second.find((line) => line.message === 'Rejection reason')).toMatchObject({
      level: 'DEBUG',
      code: 'not_allowed',
      reason: 'Owners only.',
    });
  });
});

describe('npm start output', () => {
  it('makes handler log lines readable, drops metric lines, leaves other output alone', () => {
    const line = JSON.stringify({
      level: 'INFO',
      message: 'Request rejected',
      timestamp: 't',
      service: 's',
      function_name: 'session',
      requestId: 'r-1',
      routeKey: 'GET /me',
      status: 401,
    });
    expect(toText(`${line}\n`)).toBe(
      '  INFO [session] Request rejected  requestId=r-1 routeKey=GET /me status=401\n',
    );
    expect(toText(`${JSON.stringify({ _aws: { Timestamp: 1 }, Refreshes: 1 })}\n`)).toBeUndefined();
    expect(toText('GET /me → 401 (3 ms) r-1\n')).toBe('GET /me → 401 (3 ms) r-1\n');
    expect(toText('{not json\n')).toBe('{not json\n');
  });

  it('reads LOG_LEVEL and LOG_FORMAT, and refuses what it does not know', () => {
    expect(parseLogSettings({})).toEqual({ format: 'text', level: 'WARN' });
    expect(parseLogSettings({ LOG_LEVEL: 'debug', LOG_FORMAT: 'json' })).toEqual({
      format: 'json',
      level: 'DEBUG',
    });
    expect(() => parseLogSettings({ LOG_FORMAT: 'xml' })).toThrow('LOG_FORMAT');
    expect(() => parseLogSettings({ LOG_LEVEL: 'loud' })).toThrow('LOG_LEVEL');
  });
});
