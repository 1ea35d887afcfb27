import type { DeliveryAttempt } from './app-deliveries.js';

export type FailedDelivery = { guid: string; attemptId: number; deliveredAt: string };

/**
 * GitHub's rule for what to redeliver ("Handling failed webhook deliveries"): a delivery whose status
 * is not "OK", unless an attempt of the same GUID (a redelivery, or a concurrent copy) succeeded.
 * `attempts` come newest first; each failed GUID is named once, with its newest attempt.
 */
export function failedDeliveries(attempts: readonly DeliveryAttempt[]): FailedDelivery[] {
  const succeeded = new Set(attempts.filter((attempt) => attempt.status === 'OK').map((a) => a.guid));
  const failed = new Map<string, FailedDelivery>();
  for (const attempt of attempts) {
    if (succeeded.has(attempt.guid) || failed.has(attempt.guid)) continue;
    failed.set(attempt.guid, {
      guid: attempt.guid,
      attemptId: attempt.id,
      deliveredAt: attempt.delivered_at,
    });
  }
  return [...failed.values()];
}
