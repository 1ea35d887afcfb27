import { createHttpHandler } from '../shared/http/http-handler.js';
import type { HttpRequest } from '../shared/http/request.js';
import { logger } from '../shared/logger.js';
import { getServices } from '../shared/services.js';
import { parse, processAtOnce } from './apply-at-once.js';
import { applyUnderLease } from './delivery-lease.js';
import type { HandledDelivery } from './payloads.js';
import { verifyDelivery } from './verify.js';

/**
 * A GitHub webhook delivery: verified (signature, headers), then applied once. Deliveries decided in
 * one write go through apply-at-once.ts; the others under a processing lease (delivery-lease.ts).
 */
async function receive(request: HttpRequest) {
  // Headers are checked before the secret is read (cheap checks first).
  const delivery = await verifyDelivery(request, () => getServices().secrets.webhookSecrets());
  const action = typeof delivery.payload.action === 'string' ? delivery.payload.action : undefined;
  logger.appendKeys({ deliveryId: delivery.deliveryId, event: delivery.event, action });
  const { deliveries } = getServices();
  const parsed = parse(delivery);
  const atOnce = await processAtOnce(delivery, action, parsed, deliveries);
  if (atOnce) return atOnce;
  // processAtOnce answered invalid and ignored deliveries: what is left is a handled one.
  const { handled } = parsed as { handled: HandledDelivery };
  return applyUnderLease(delivery, action, handled, deliveries);
}

export const handler = createHttpHandler({
  'POST /webhooks/github': { body: 'raw', handle: receive, idempotencyKey: false },
});
