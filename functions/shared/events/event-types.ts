import type { EventType } from './catalog.js';

/**
 * The catalog's type names as run-time data, for code that must check a type without loading the
 * catalog's zod schemas (bundle size, cold start). The compiler keeps it equal to the catalog's keys:
 * a type added there and not here (or a stray one here) does not type-check.
 */
export const EVENT_TYPE_NAMES = [
  'account.created',
  'account.renamed',
  'account.deleted',
  'member.invited',
  'member.joined',
  'member.declined',
  'member.role_changed',
  'member.left',
  'member.removed',
  'installation.linked',
  'installation.unlinked',
  'installation.scope_changed',
  'installation.suspended',
  'installation.unsuspended',
  'installation.deleted',
  'installation.renamed',
  'installation.permissions_accepted',
  'repository.created',
  'repository.committed',
  'repository.pushed',
  'service_access.granted',
  'service_access.changed',
  'service_access.revoked',
  'user.authorization_revoked',
] as const satisfies readonly EventType[];

type Missing = Exclude<EventType, (typeof EVENT_TYPE_NAMES)[number]>;
// Fails to compile, naming the type, when the catalog has a type this list lacks.
const complete: [Missing] extends [never] ? true : Missing = true;
void complete;

/** `member.`, `installation.`, …: the families a filter may name (a type's name up to its dot). */
export const EVENT_TYPE_FAMILIES: readonly string[] = [
  ...new Set(EVENT_TYPE_NAMES.map((name) => name.slice(0, name.indexOf('.') + 1))),
];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPE_NAMES as readonly string[]).includes(value);
}
