import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import type { AppError } from '../../functions/shared/errors.js';
import { rawBodyOf, toHttpRequest } from '../../functions/shared/http/request.js';
import { MAX_PAYLOAD_BYTES, verifyDelivery } from '../../functions/webhook/verify.js';
import { apiEvent, context } from '../support/events.js';

const secrets = { webhookSecret: 'current', previousWebhookSecret: 'previous' };

/** GitHub signs the bytes it sends: HMAC-SHA256 over the exact body. */
const signBytes = (secret: string, body: Buffer) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

type RequestOptions = {
  secret?: string;
  signature?: string;
  base64?: boolean;
  headers?: Record<string, string>;
};

/** A request built the way the HTTP layer builds it: the raw body decoded from the event. */
function requestWith(body: Buffer | string, options: RequestOptions = {}) {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const base64 = options.base64 ?? true;
  const event = apiEvent({
    routeKey: 'POST /webhooks/github',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'ping',
      'x-github-delivery': 'd-1',
      'x-hub-signature-256': options.signature ?? signBytes(options.secret ?? 'current', raw),
      ...options.headers,
    },
    body: base64 ? raw.toString('base64') : raw.toString('utf8'),
    isBase64Encoded: base64,
  });
  return toHttpRequest(event, undefined, rawBodyOf(event));
}

const loadSecrets = () => Promise.resolve(secrets);

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as AppError,
  );

describe('verifyDelivery', () => {
  it('accepts the current and, while rotating, the previous secret', async () => {
    await expect(verifyDelivery(requestWith('{"zen":"x"}'), loadSecrets)).resolves.toMatchObject({
      event: 'ping',
      deliveryId: 'd-1',
    });
    await expect(
      verifyDelivery(requestWith('{"zen":"x"}', { secret: 'previous' }), loadSecrets),
    ).resolves.toMatchObject({ event: 'ping' });
    const other = await rejection(
      verifyDelivery(requestWith('{"zen":"x"}', { secret: 'someone-else' }), loadSecrets),
    );
    expect(other?.statusCode).toBe(401);
  });

  it('verifies the HMAC over the bytes received, not over a re-encoded string', async () => {
    // 0xff 0xfe are not UTF-8: decoding to a string and back would turn them into U+FFFD.
    const body = Buffer.concat([Buffer.from('{"zen":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    await expect(verifyDelivery(requestWith(body), loadSecrets)).resolves.toMatchObject({ event: 'ping' });
    const overString = await sign('current', body.toString('utf8'));
    const forged = await rejection(verifyDelivery(requestWith(body, { signature: overString }), loadSecrets));
    expect(forged?.code).toBe('invalid_signature');
  });

  it('decodes base64 bodies when API Gateway says so, and takes text bodies as they are', async () => {
    const body = '{"zen":"Café ☕"}';
    for (const base64 of [true, false]) {
      await expect(verifyDelivery(requestWith(body, { base64 }), loadSecrets)).resolves.toMatchObject({
        payload: { zen: 'Café ☕' },
      });
    }
    // A signature over the base64 text itself (what an un-decoded body would be) does not verify.
    const overBase64 = signBytes('current', Buffer.from(Buffer.from(body).toString('base64')));
    const error = await rejection(verifyDelivery(requestWith(body, { signature: overBase64 }), loadSecrets));
    expect(error?.code).toBe('invalid_signature');
  });

  it('refuses malformed signatures without throwing anything but 401', async () => {
    for (const signature of [
      'sha256=',
      'sha256=zz',
      'sha1=abc',
      `sha256=${'a'.repeat(63)}`,
      'x'.repeat(500),
    ]) {
      const error = await rejection(verifyDelivery(requestWith('{}', { signature }), loadSecrets));
      expect([signature, error?.statusCode]).toEqual([signature, 401]);
    }
  });

  it('answers 400 for missing or malformed GitHub headers before any secret is read', async () => {
    let reads = 0;
    const counting = () => {
      reads++;
      return Promise.resolve(secrets);
    };
    const missing = await rejection(
      verifyDelivery(requestWith('{}', { headers: { 'x-github-event': '' } }), counting),
    );
    expect(missing?.code).toBe('missing_headers');
    const malformed = await rejection(
      verifyDelivery(requestWith('{}', { headers: { 'x-github-delivery': '../../etc' } }), counting),
    );
    expect(malformed?.code).toBe('invalid_headers');
    expect(reads).toBe(0);
  });

  it('answers 413 over GitHub’s 25 MB before checking anything else of the body', async () => {
    const huge = Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20);
    const error = await rejection(verifyDelivery(requestWith(huge), loadSecrets));
    expect(error?.statusCode).toBe(413);
  });

  it('answers 400 for a correctly signed body that is not a JSON object', async () => {
    expect((await rejection(verifyDelivery(requestWith('not json'), loadSecrets)))?.code).toBe(
      'invalid_json',
    );
    expect((await rejection(verifyDelivery(requestWith('[1,2]'), loadSecrets)))?.code).toBe('invalid_json');
  });
});

describe('webhook handler: cheap checks first', () => {
  it('answers 400 to a request without GitHub headers even when no secret can be read', async () => {
    // Secrets that cannot be read: a handler that read them first would answer 500.
    process.env.LOCAL_SECRETS_FILE = join(mkdtempSync(join(tmpdir(), 'no-secrets-')), 'missing.json');
    process.env.TABLE_NAME = 'unused';
    process.env.API_BASE_URL = 'http://localhost:3000';
    process.env.FRONTEND_ORIGINS = 'http://localhost:5173';
    process.env.DYNAMODB_ENDPOINT = 'http://127.0.0.1:9';
    const { handler } = await import('../../functions/webhook/handler.js');
    const response = await handler(
      apiEvent({
        routeKey: 'POST /webhooks/github',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
      context('webhook'),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(String(response.body))).toMatchObject({ error: 'missing_headers' });
  });
});
