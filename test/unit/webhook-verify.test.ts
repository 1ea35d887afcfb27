import { sign } from '@octokit/webhooks-methods';
import type { AppError } from '../../functions/shared/errors.js';
import { toHttpRequest } from '../../functions/shared/http/request.js';
import { MAX_PAYLOAD_BYTES, verifyDelivery } from '../../functions/webhook/verify.js';
import { generateLocalSecrets } from '../../local/local-secrets.js';
import { apiEvent } from '../support/events.js';

const app = {
  ...generateLocalSecrets().githubApp,
  webhookSecret: 'current',
  previousWebhookSecret: 'previous',
};

async function requestWith(body: Buffer | string, secret = 'current', headers: Record<string, string> = {}) {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const event = apiEvent({
    routeKey: 'POST /webhooks/github',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'ping',
      'x-github-delivery': 'd-1',
      'x-hub-signature-256': await sign(secret, raw.toString('utf8')),
      ...headers,
    },
    body: raw.toString('base64'),
    isBase64Encoded: true,
  });
  return toHttpRequest(event, undefined, raw);
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as AppError,
  );

describe('verifyDelivery', () => {
  it('accepts the current and, while rotating, the previous secret', async () => {
    await expect(verifyDelivery(await requestWith('{"zen":"x"}'), app)).resolves.toMatchObject({
      event: 'ping',
      deliveryId: 'd-1',
    });
    await expect(verifyDelivery(await requestWith('{"zen":"x"}', 'previous'), app)).resolves.toMatchObject({
      event: 'ping',
    });
    const other = await rejection(verifyDelivery(await requestWith('{"zen":"x"}', 'someone-else'), app));
    expect(other?.statusCode).toBe(401);
  });

  it('answers 413 over GitHub’s 25 MB before checking anything else of the body', async () => {
    const huge = Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20);
    const error = await rejection(verifyDelivery(await requestWith(huge), app));
    expect(error?.statusCode).toBe(413);
  });

  it('answers 400 for a correctly signed body that is not a JSON object', async () => {
    expect((await rejection(verifyDelivery(await requestWith('not json'), app)))?.code).toBe('invalid_json');
    expect((await rejection(verifyDelivery(await requestWith('[1,2]'), app)))?.code).toBe('invalid_json');
  });

  it('answers 400 for malformed GitHub headers', async () => {
    const error = await rejection(
      verifyDelivery(await requestWith('{}', 'current', { 'x-github-delivery': '../../etc' }), app),
    );
    expect(error?.code).toBe('invalid_headers');
  });
});
