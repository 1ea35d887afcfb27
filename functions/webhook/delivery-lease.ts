import { json } from '../shared/http/responses.js';
import { count, METRIC } from '../shared/metrics.js';
import type { DeliveryStore } from '../shared/store/delivery-store.js';
import { applyEvent } from './apply-event.js';
import { webhookOrigin } from './event-origin.js';
import type { HandledDelivery } from './payloads.js';
import { recordOutcome } from './record-outcome.js';
import { requestSyncAfter } from './repository-sync-trigger.js';
import { answerTaken } from './taken-delivery.js';
import type { VerifiedDelivery } from './verify.js';

/**
 * Effects of several writes (an uninstall's fan-out, token clean-ups, a rename, a revocation) run
 * under a processing lease: begin → apply → finish. A delivery another invocation holds or finished
 * is answered from its record (taken-delivery.ts).
 */
export async function applyUnderLease(
  delivery: VerifiedDelivery,
  action: string | undefined,
  handled: HandledDelivery,
  deliveries: DeliveryStore,
) {
  const claim = await deliveries.begin(delivery.deliveryId, delivery.event, action);
  if (claim.status !== 'start') return answerTaken(claim, delivery.event);
  try {
    const outcome = await applyEvent(handled, webhookOrigin(delivery));
    await recordOutcome(() => deliveries.finish(delivery.deliveryId, outcome));
    count(METRIC.webhookDeliveries, { outcome });
    await requestSyncAfter(handled, outcome);
    return json(outcome === 'applied' ? 200 : 202, { status: outcome });
  } catch (error) {
    count(METRIC.webhookDeliveries, { outcome: 'failed' });
    // Applying or recording the outcome failed: release the lease as failed, so a redelivery is
    // processed at once. If this write fails too, the lease lapses on its own (PROCESSING_LEASE_SECONDS).
    await recordOutcome(() =>
      deliveries.fail(delivery.deliveryId, error instanceof Error ? error.name : 'error'),
    ).catch(() => undefined);
    throw error;
  }
}
