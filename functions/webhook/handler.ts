import { createHttpHandler } from '../shared/http/http-handler.js';
import type { HttpRequest } from '../shared/http/request.js';
import { json } from '../shared/http/responses.js';
import { logger } from '../shared/logger.js';
import { getServices } from '../shared/services.js';
import { DeliveryStore } from '../shared/store/delivery-store.js';
import { applyEvent } from './apply-event.js';
import { InvalidPayloadError, parseDelivery, type HandledDelivery } from './payloads.js';
import { verifyDelivery } from './verify.js';

async function receive(request: HttpRequest) {
  // Headers are checked before the secret is read (cheap checks first).
  const delivery = await verifyDelivery(request, () => getServices().secrets.webhookSecrets());
  const action = typeof delivery.payload.action === 'string' ? delivery.payload.action : undefined;
  logger.appendKeys({ deliveryId: delivery.deliveryId, event: delivery.event, action });
  const deliveries = new DeliveryStore(getServices().table);
  const claim = await deliveries.begin(delivery.deliveryId, delivery.event, action);
  if (claim.status === 'done') return json(200, { status: 'duplicate' });
  if (claim.status === 'invalid') throw new InvalidPayloadError(delivery.event, claim.fields);
  if (claim.status === 'in_progress') return json(202, { status: 'in_progress' });

  let handled: HandledDelivery | undefined;
  try {
    handled = parseDelivery(delivery.event, delivery.payload);
  } catch (error) {
    if (!(error instanceof InvalidPayloadError)) throw error;
    // Which fields, never the payload: it is the sender's data.
    logger.warn('Invalid webhook payload', { fields: error.fields });
    await deliveries.finishInvalid(delivery.deliveryId, error.fields);
    throw error;
  }
  if (handled === undefined) {
    await deliveries.finish(delivery.deliveryId, 'ignored');
    return json(202, { status: 'ignored' });
  }
  let outcome;
  try {
    outcome = await applyEvent(handled);
  } catch (error) {
    // Recorded as failed, so GitHub's (or an operator's) redelivery is processed again.
    await deliveries
      .fail(delivery.deliveryId, error instanceof Error ? error.name : 'error')
      .catch(() => undefined);
    throw error;
  }
  await deliveries.finish(delivery.deliveryId, outcome);
  return json(outcome === 'applied' ? 200 : 202, { status: outcome });
}

export const handler = createHttpHandler({
  'POST /webhooks/github': { body: 'raw', handle: receive },
});
