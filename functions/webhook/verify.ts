import { verify } from '@octokit/webhooks-methods';
import {
  AppError,
  BadRequestError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../shared/errors.js';
import type { HttpRequest } from '../shared/http/request.js';
import type { GitHubAppCredentials } from '../shared/secrets/index.js';

/** GitHub caps webhook payloads at 25 MB. */
export const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;

class InvalidSignatureError extends AppError {
  readonly statusCode = 401;
  constructor() {
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
 * Checks a delivery before anything else looks at it: GitHub's headers present, JSON, within size,
 * and `X-Hub-Signature-256` valid over the exact bytes received (the current secret, or the previous
 * one while it is being rotated). Only then is the body parsed.
 */
export async function verifyDelivery(
  request: HttpRequest,
  app: GitHubAppCredentials,
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
  const body = request.rawBody.toString('utf8');
  const secrets = [app.webhookSecret, app.previousWebhookSecret].filter(
    (secret): secret is string => !!secret,
  );
  let valid = false;
  for (const secret of secrets) {
    if (await verify(secret, body, signature).catch(() => false)) valid = true;
  }
  if (!valid) throw new InvalidSignatureError();
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    throw new BadRequestError('invalid_json', 'The delivery body is not valid JSON.');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new BadRequestError('invalid_json', 'The delivery body is not a JSON object.');
  }
  return { event, deliveryId, payload: payload as Record<string, unknown> };
}
