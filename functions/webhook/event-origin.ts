import { githubActor, type EventOrigin } from '../shared/events/domain-event.js';
import type { VerifiedDelivery } from './verify.js';

/**
 * Where a webhook's events come from: GitHub, naming the user it names as the delivery's sender (none
 * when the payload has no usable sender), correlated by the delivery's `X-GitHub-Delivery`.
 */
export function webhookOrigin(delivery: VerifiedDelivery): EventOrigin {
  const sender = delivery.payload.sender;
  const login =
    typeof sender === 'object' && sender !== null && 'login' in sender && typeof sender.login === 'string'
      ? sender.login
      : '';
  return { actor: githubActor(login === '' ? null : login), correlationId: delivery.deliveryId };
}
