import { AppError, ConditionFailedError } from '../shared/errors.js';
import { createHttpHandler } from '../shared/http/http-handler.js';
import type { HttpRequest } from '../shared/http/request.js';
import { json } from '../shared/http/responses.js';
import { logger } from '../shared/logger.js';
import { count, METRIC } from '../shared/metrics.js';
import { getServices } from '../shared/services.js';
import { DeliveryStore, type DeliveryStart } from '../shared/store/delivery-store.js';
import { applyEvent, applyInOneWrite, changesNothing, type Outcome } from './apply-event.js';
import { InvalidPayloadError, parseDelivery, type HandledDelivery } from './payloads.js';
import { requestSyncAfter } from './repository-sync-trigger.js';
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

/** What another invocation did or does with the delivery, answered without processing it again. */
function answerTaken(claim: DeliveryStart, event: string) {
  switch (claim.status) {
    case 'done':
      count(METRIC.webhookDeliveries, { outcome: 'duplicate' });
      return json(200, { status: 'duplicate' });
    case 'invalid':
      count(METRIC.webhookDeliveries, { outcome: 'invalid' });
      throw new InvalidPayloadError(event, claim.fields);
    case 'in_progress':
      throw new DeliveryInProgressError(claim.retryAfterSeconds);
    case 'start':
      // `state` never answers `start`: a record that could not be taken is held or done.
      throw new DeliveryInProgressError(1);
  }
}

/** The payload checked (no I/O): what it asks for, undefined for what the service does not handle. */
function parse(delivery: VerifiedDelivery): { handled: HandledDelivery | undefined } | InvalidPayloadError {
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
async function processAtOnce(
  delivery: VerifiedDelivery,
  action: string | undefined,
  parsed: ReturnType<typeof parse>,
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
  const applying = applyInOneWrite(handled, deliveries.doneWrite(deliveryId, event, action, 'applied'));
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

async function receive(request: HttpRequest) {
  // Headers are checked before the secret is read (cheap checks first).
  const delivery = await verifyDelivery(request, () => getServices().secrets.webhookSecrets());
  const action = typeof delivery.payload.action === 'string' ? delivery.payload.action : undefined;
  logger.appendKeys({ deliveryId: delivery.deliveryId, event: delivery.event, action });
  const deliveries = new DeliveryStore(getServices().table);
  const parsed = parse(delivery);
  const atOnce = await processAtOnce(delivery, action, parsed, deliveries);
  if (atOnce) return atOnce;
  // Effects of several writes (an uninstall's fan-out, token clean-ups, a rename, a revocation) run
  // under a processing lease: begin → apply → finish.
  const handled = (parsed as { handled: HandledDelivery }).handled;
  const claim = await deliveries.begin(delivery.deliveryId, delivery.event, action);
  if (claim.status !== 'start') return answerTaken(claim, delivery.event);
  try {
    const outcome = await applyEvent(handled);
    await record(() => deliveries.finish(delivery.deliveryId, outcome));
    count(METRIC.webhookDeliveries, { outcome });
    await requestSyncAfter(handled, outcome);
    return json(outcome === 'applied' ? 200 : 202, { status: outcome });
  } catch (error) {
    count(METRIC.webhookDeliveries, { outcome: 'failed' });
    // Applying or recording the outcome failed: release the lease as failed, so a redelivery is
    // processed at once. If this write fails too, the lease lapses on its own (PROCESSING_LEASE_SECONDS).
    await record(() =>
      deliveries.fail(delivery.deliveryId, error instanceof Error ? error.name : 'error'),
    ).catch(() => undefined);
    throw error;
  }
}

export const handler = createHttpHandler({
  'POST /webhooks/github': { body: 'raw', handle: receive, idempotencyKey: false },
});
