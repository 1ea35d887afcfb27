import type { InstallationDetails } from '../store/installation-store.js';
import type { EventDetail } from './catalog.js';
import { domainEvent, type DomainEvent, type EventOrigin } from './domain-event.js';

/**
 * What GitHub reports of an installation, as events (docs/events.md "What GitHub reports"). An event
 * reports a change of the stored installation: it is derived by comparing the details stored before a
 * write with those written, never from the delivery's action alone. So a repeat, a redelivery of a
 * delivery whose change already committed, or a second path learning the same change (a webhook and
 * the reconciler's confirmation) yields no second event, and a change learned from any delivery
 * (an `installation_repositories` carrying a new suspension) is not left unreported.
 */

type InstallationRef = EventDetail<'installation.suspended'>['installation'];
type Permissions = EventDetail<'installation.permissions_accepted'>['permissions'];

/** The fields of the stored details an event is derived from. */
export type ReportedInstallation = Pick<
  InstallationDetails,
  'id' | 'accountLogin' | 'accountType' | 'permissions' | 'events' | 'suspendedAt'
>;

export const installationRef = (details: ReportedInstallation): InstallationRef => ({
  id: details.id,
  accountLogin: details.accountLogin,
  accountType: details.accountType,
});

const LEVELS: ReadonlySet<string> = new Set(['read', 'write', 'admin']);

/** GitHub's permission levels the catalog names (anything else is left out rather than published). */
function publishedPermissions(permissions: Record<string, string>): Permissions {
  return Object.fromEntries(
    Object.entries(permissions).filter(([, level]) => LEVELS.has(level)),
  ) as Permissions;
}

const sameEntries = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([key, value]) => b[key] === value);

const sameSet = (a: readonly string[], b: readonly string[]) =>
  new Set(a).size === new Set(b).size && a.every((value) => b.includes(value));

/**
 * The events of a change from `before` (undefined: the service did not describe the installation, so
 * no account links it and nothing is reported) to `after`: suspended/unsuspended when the suspension
 * flips, renamed when the account's login changes, permissions_accepted when the granted permissions
 * or subscribed events change (GitHub changes them only once the owner accepts).
 */
export function installationChangeEvents(
  before: ReportedInstallation | undefined,
  after: ReportedInstallation,
  origin: EventOrigin,
  accountIds: readonly string[],
): DomainEvent[] {
  if (!before) return [];
  const installation = installationRef(after);
  const events: DomainEvent[] = [];
  const wasSuspended = before.suspendedAt !== null;
  const isSuspended = after.suspendedAt !== null;
  if (!wasSuspended && isSuspended)
    events.push(domainEvent('installation.suspended', origin, accountIds, { installation }));
  if (wasSuspended && !isSuspended)
    events.push(domainEvent('installation.unsuspended', origin, accountIds, { installation }));
  if (after.accountLogin !== before.accountLogin && after.accountLogin !== '' && before.accountLogin !== '')
    events.push(
      domainEvent('installation.renamed', origin, accountIds, {
        installation,
        previousLogin: before.accountLogin,
      }),
    );
  if (!sameEntries(before.permissions, after.permissions) || !sameSet(before.events, after.events))
    events.push(
      domainEvent('installation.permissions_accepted', origin, accountIds, {
        installation,
        permissions: publishedPermissions(after.permissions),
      }),
    );
  return events;
}

/** The App uninstalled: reported to every account linked before the uninstall. */
export function installationDeletedEvent(
  details: ReportedInstallation,
  origin: EventOrigin,
  accountIds: readonly string[],
): DomainEvent {
  return domainEvent('installation.deleted', origin, accountIds, { installation: installationRef(details) });
}
