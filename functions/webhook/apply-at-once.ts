import { ConditionFailedError } from '../shared/errors.js';
import { json } from '../shared/http/responses.js';
import { logger } from '../shared/logger.js';
import { count, METRIC } from '../shared/metrics.js';
import type { DeliveryStore } from '../shared/store/delivery-store.js';
import { applyInOneWrite, changesNothing, type Outcome } from './apply-event.js';
import { webhookOrigin } from './event-origin.js';
import { InvalidPayloadError, parseDelivery, type HandledDelivery } from './payloads.js';
import { requestSyncAfter } from './repository-sync-trigger.js';
import { answerTaken } from './taken-delivery.js';
import type { VerifiedDelivery } from './verify.js';

export type ParsedDelivery = { handled: HandledDelivery | undefined } | InvalidPayloadError;

/** The payload checked (no I/O): what it asks for, undefined for what the service does not handle. */
export function parse(delivery: VerifiedDelivery): ParsedDelivery {
  try {
    return { handled: parseDelivery(delivery.event, delivery.payload) };
  } catch (error) {
    if (error instanceof InvalidPayloadError) return error;
    throw error;
  }
}

/**
 * Deliveries whose outcome is known before any effect (invalid, ignored) or whose effect is one
 * conditional write: the record and the effect in one write request, no lease (docs/how-it-works.md "Webhooks").
 * Undefined for the others.
 */
export async function processAtOnce(
  delivery: VerifiedDelivery,
  action: string | undefined,
  parsed: ParsedDelivery,
  deliveries: DeliveryStore,
) {
  const { deliveryId, event } = delivery;
  const taken = async () => answerTaken(await deliveries.state(deliveryId), event);
  if (parsed instanceof InvalidPayloadError) {
    if (!(await deliveries.recordDone(deliveryId, event, action, 'invalid', parsed.fields))) return taken();
    // Which fields, never the payload: it is the sender's data.
    logger.warn('Invalid webhook payload', { fields: parsed.fields });
    count(METRIC.webhookDeliveries, { outcome: 'invalid' });
    throw parsed;
  }
  const { handled } = parsed;
  if (handled === undefined || changesNothing(handled)) {
    if (!(await deliveries.recordDone(deliveryId, event, action, 'ignored'))) return taken();
    count(METRIC.webhookDeliveries, { outcome: 'ignored' });
    return json(202, { status: 'ignored' });
  }
  const applying = applyInOneWrite(
    handled,
    deliveries.doneWrite(deliveryId, event, action, 'applied'),
    webhookOrigin(delivery),
  );
  if (applying === undefined) return undefined;
  let outcome: Outcome;
  try {
    outcome = await applying;
  } catch (error) {
    if (error instanceof ConditionFailedError) return taken();
    // Nothing was written (one transaction): GitHub records the failure, a redelivery starts afresh.
    count(METRIC.webhookDeliveries, { outcome: 'failed' });
    throw error;
  }
  // Refused by the effect's own condition (deleted, or older than what is stored): record it ignored.
  if (outcome === 'ignored' && !(await deliveries.recordDone(deliveryId, event, action, 'ignored')))
    return taken();
  count(METRIC.webhookDeliveries, { outcome });
  await requestSyncAfter(handled, outcome);
  return json(outcome === 'applied' ? 200 : 202, { status: outcome });
}
