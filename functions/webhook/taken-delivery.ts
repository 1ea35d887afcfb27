import { AppError } from '../shared/errors.js';
import { json } from '../shared/http/responses.js';
import { count, METRIC } from '../shared/metrics.js';
import type { DeliveryStart } from '../shared/store/delivery-store.js';
import { InvalidPayloadError } from './payloads.js';

/**
 * Another invocation holds the delivery (or held it and could not record how it ended). Never a 2xx:
 * GitHub must record this attempt as failed, so that the redelivery job (or an operator) sends it
 * again once the lease has lapsed, instead of GitHub showing an event as delivered that nobody applied.
 */
export class DeliveryInProgressError extends AppError {
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

/** What another invocation did or does with the delivery, answered without processing it again. */
export function answerTaken(claim: DeliveryStart, event: string) {
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
