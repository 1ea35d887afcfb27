import { AppError } from '../shared/errors.js';
import { createHttpHandler } from '../shared/http/http-handler.js';
import type { HttpRequest } from '../shared/http/request.js';
import { json } from '../shared/http/responses.js';
import { logger } from '../shared/logger.js';
import { count, METRIC } from '../shared/metrics.js';
import { getServices } from '../shared/services.js';
import { DeliveryStore } from '../shared/store/delivery-store.js';
import { applyEvent } from './apply-event.js';
import { InvalidPayloadError, parseDelivery, type HandledDelivery } from './payloads.js';
import { verifyDelivery, type VerifiedDelivery } from './verify.js';

/**
 * Another invocation holds the delivery (or held it and could not record how it ended). Never a 2xx:
 * GitHub must record this attempt as failed, so that the redelivery job (or an operator) sends it
 * again once the lease has lapsed, instead of GitHub showing an event as delivered that nobody applied.
 */
class DeliveryInProgressError extends AppError {
  readonly statusCode = 409;
  constructor(retryAfterSeconds: number) {
    super(
      'delivery_in_progress',
      'This delivery is being processed. Redeliver it after Retry-After seconds.',
      {
        headers: { 'Retry-After': String(retryAfterSeconds) },
      },
    );
  }
}

/**
 * Recording an outcome is tried up to this often (each try with the SDK's own retries), within this
 * time: a DynamoDB that fails fast gets every try, a frozen one no more than GitHub's 10 s allow.
 */
const RECORD_ATTEMPTS = 5;
const RECORD_BUDGET_MS = 2000;

/**
 * Writes how a delivery ended, retrying while the lease is ours: an applied delivery whose outcome is
 * not recorded is applied again on redelivery (a no-op, every effect being idempotent, but not "once").
 */
async function record(write: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + RECORD_BUDGET_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return;
    } catch (error) {
      if (attempt >= RECORD_ATTEMPTS || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
    }
  }
}

async function processDelivery(delivery: VerifiedDelivery, deliveries: DeliveryStore) {
  let handled: HandledDelivery | undefined;
  try {
    handled = parseDelivery(delivery.event, delivery.payload);
  } catch (error) {
    if (!(error instanceof InvalidPayloadError)) throw error;
    // Which fields, never the payload: it is the sender's data.
    logger.warn('Invalid webhook payload', { fields: error.fields });
    await record(() => deliveries.finishInvalid(delivery.deliveryId, error.fields));
    throw error;
  }
  if (handled === undefined) {
    await record(() => deliveries.finish(delivery.deliveryId, 'ignored'));
    return json(202, { status: 'ignored' });
  }
  const outcome = await applyEvent(handled);
  await record(() => deliveries.finish(delivery.deliveryId, outcome));
  return json(outcome === 'applied' ? 200 : 202, { status: outcome });
}

async function receive(request: HttpRequest) {
  // Headers are checked before the secret is read (cheap checks first).
  const delivery = await verifyDelivery(request, () => getServices().secrets.webhookSecrets());
  const action = typeof delivery.payload.action === 'string' ? delivery.payload.action : undefined;
  logger.appendKeys({ deliveryId: delivery.deliveryId, event: delivery.event, action });
  const deliveries = new DeliveryStore(getServices().table);
  const claim = await deliveries.begin(delivery.deliveryId, delivery.event, action);
  if (claim.status === 'done') {
    count(METRIC.webhookDeliveries, { outcome: 'duplicate' });
    return json(200, { status: 'duplicate' });
  }
  if (claim.status === 'invalid') {
    count(METRIC.webhookDeliveries, { outcome: 'invalid' });
    throw new InvalidPayloadError(delivery.event, claim.fields);
  }
  if (claim.status === 'in_progress') throw new DeliveryInProgressError(claim.retryAfterSeconds);
  try {
    const response = await processDelivery(delivery, deliveries);
    count(METRIC.webhookDeliveries, { outcome: response.statusCode === 200 ? 'applied' : 'ignored' });
    return response;
  } catch (error) {
    count(METRIC.webhookDeliveries, { outcome: error instanceof InvalidPayloadError ? 'invalid' : 'failed' });
    // Applying or recording the outcome failed: release the lease as failed, so a redelivery is
    // processed at once. If this write fails too, the lease lapses on its own (PROCESSING_LEASE_SECONDS).
    if (!(error instanceof InvalidPayloadError))
      await record(() =>
        deliveries.fail(delivery.deliveryId, error instanceof Error ? error.name : 'error'),
      ).catch(() => undefined);
    throw error;
  }
}

export const handler = createHttpHandler({
  'POST /webhooks/github': { body: 'raw', handle: receive },
});
