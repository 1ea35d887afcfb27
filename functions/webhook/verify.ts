import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  AppError,
  BadRequestError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../shared/errors.js';
import type { HttpRequest } from '../shared/http/request.js';
import { count, METRIC } from '../shared/metrics.js';
import type { WebhookSecrets } from '../shared/secrets/index.js';

/** GitHub caps webhook payloads at 25 MB. */
export const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

class InvalidSignatureError extends AppError {
  readonly statusCode = 401;
  constructor() {
    // Counted apart from failed deliveries: a wrong secret or a stranger, not a fault of ours.
    count(METRIC.webhookInvalidSignatures);
    super(
      'invalid_signature',
      'X-Hub-Signature-256 does not match the body for the configured webhook secret.',
    );
  }
}

export type VerifiedDelivery = {
  event: string;
  deliveryId: string;
  payload: Record<string, unknown>;
};

/**
 * HMAC-SHA256 over the exact bytes, compared in constant time. (@octokit/webhooks-methods' `verify`
 * takes only a string, and a body decoded to a string and back is not always the bytes GitHub signed.)
 */
function signatureMatches(secret: string, body: Buffer, expected: Buffer): boolean {
  const actual = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(actual, expected);
}

/**
 * Checks a delivery before anything else looks at it: GitHub's headers present (before any secret is
 * read), within size, JSON, and `X-Hub-Signature-256` valid over the bytes as received (base64-decoded
 * when API Gateway says so) for the current secret or, while it is being rotated, the previous one.
 * Only then is the body parsed.
 */
export async function verifyDelivery(
  request: HttpRequest,
  loadSecrets: () => Promise<WebhookSecrets>,
): Promise<VerifiedDelivery> {
  const event = request.headers['x-github-event'];
  const deliveryId = request.headers['x-github-delivery'];
  const signature = request.headers['x-hub-signature-256'];
  if (!event || !deliveryId || !signature) {
    throw new BadRequestError(
      'missing_headers',
      'A GitHub delivery carries X-GitHub-Event, X-GitHub-Delivery and X-Hub-Signature-256.',
    );
  }
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(deliveryId) || !/^[a-z0-9_]{1,100}$/.test(event)) {
    throw new BadRequestError('invalid_headers', 'X-GitHub-Event or X-GitHub-Delivery is malformed.');
  }
  if (request.rawBody.length > MAX_PAYLOAD_BYTES)
    throw new PayloadTooLargeError('GitHub payloads are at most 25 MB.');
  const contentType = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(contentType)) {
    throw new UnsupportedMediaTypeError('Configure the webhook with content type application/json.');
  }
  const digest = SIGNATURE.exec(signature.toLowerCase())?.[1];
  if (digest === undefined) throw new InvalidSignatureError();
  const expected = Buffer.from(digest, 'hex');
  const { webhookSecret, previousWebhookSecret } = await loadSecrets();
  const valid =
    signatureMatches(webhookSecret, request.rawBody, expected) ||
    (previousWebhookSecret !== undefined &&
      signatureMatches(previousWebhookSecret, request.rawBody, expected));
  if (!valid) throw new InvalidSignatureError();
  let payload: unknown;
  try {
    payload = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw new BadRequestError('invalid_json', 'The delivery body is not valid JSON.');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new BadRequestError('invalid_json', 'The delivery body is not a JSON object.');
  }
  return { event, deliveryId, payload: payload as Record<string, unknown> };
}
