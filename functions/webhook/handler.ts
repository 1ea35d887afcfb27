import { createHttpHandler } from '../shared/http/http-handler.js';
import type { HttpRequest } from '../shared/http/request.js';
import { json } from '../shared/http/responses.js';
import { logger } from '../shared/logger.js';
import { getServices } from '../shared/services.js';
import { DeliveryStore } from '../shared/store/delivery-store.js';
import { applyEvent } from './apply-event.js';
import { verifyDelivery } from './verify.js';

async function receive(request: HttpRequest) {
  const { secrets, table } = getServices();
  const delivery = await verifyDelivery(request, await secrets.gitHubApp());
  const action = typeof delivery.payload.action === 'string' ? delivery.payload.action : undefined;
  logger.appendKeys({ deliveryId: delivery.deliveryId, event: delivery.event, action });
  const deliveries = new DeliveryStore(table);
  const claim = await deliveries.begin(delivery.deliveryId, delivery.event, action);
  if (claim === 'done') return json(200, { status: 'duplicate' });
  if (claim === 'in_progress') return json(202, { status: 'in_progress' });
  let outcome;
  try {
    outcome = await applyEvent(delivery.event, delivery.payload);
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
