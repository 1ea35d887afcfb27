import { requestRepositorySync } from '../shared/repositories/request-sync.js';
import type { Outcome } from './apply-event.js';
import type { HandledDelivery } from './payloads.js';

/**
 * The reconciler runs once for a new installation, and again when it accepted new permissions (it may
 * reach other repositories now): asked for after the delivery is applied, never for a duplicate.
 */
export async function requestSyncAfter(delivery: HandledDelivery, outcome: Outcome): Promise<void> {
  if (outcome !== 'applied' || delivery.kind !== 'installation') return;
  if (delivery.action === 'created') await requestRepositorySync(delivery.installation.id, 'installed');
  if (delivery.action === 'new_permissions_accepted')
    await requestRepositorySync(delivery.installation.id, 'permissions');
}
