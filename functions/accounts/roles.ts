import type { Member, Role } from '../shared/store/account-store.js';

/**
 * What each role may do to roles (docs/how-it-works.md "Accounts"): owners anything, including making or unmaking
 * owners (a transfer is making someone owner, then stepping down); admins move people between admin
 * and member but never touch or grant `owner`; members change nothing.
 */
export function mayGrant(actor: Role, role: Role): boolean {
  if (actor === 'owner') return true;
  return actor === 'admin' && role !== 'owner';
}

/** May `actor` give `target` the role `to`? */
export function mayChangeRole(actor: Member, target: Member, to: Role): boolean {
  return mayGrant(actor.role, to) && mayGrant(actor.role, target.role);
}

/** Anyone may leave; owners remove anyone; admins remove admins and members. */
export function mayRemove(actor: Member, target: Member): boolean {
  return actor.userId === target.userId || mayGrant(actor.role, target.role);
}
