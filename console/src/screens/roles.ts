import type { Schemas } from '../api/client';

export type Role = Schemas['Role'];
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

/*
 * The API's role rules (docs/how-it-works.md "Members join by consent"), used only to decide which controls to
 * show: the API decides. A role that changed meanwhile still gets the API's 403, shown in words.
 */

/** Owners grant any role; admins grant admin and member; members grant nothing. */
export function mayGrant(actor: Role, role: Role): boolean {
  if (actor === 'owner') return true;
  return actor === 'admin' && role !== 'owner';
}

/** The roles `actor` may give to someone who now has `current` (empty: no role control at all). */
export function grantableRoles(actor: Role, current: Role): Role[] {
  if (!mayGrant(actor, current)) return [];
  return ROLES.filter((role) => mayGrant(actor, role));
}

/** Only owners rename and delete an account. */
export const mayManageAccount = (role: Role): boolean => role === 'owner';

/** Owners and admins invite and see the account's pending invitations. */
export const mayInvite = (role: Role): boolean => role === 'owner' || role === 'admin';

export const roleWords: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };
