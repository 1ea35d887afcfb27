import * as z from 'zod/mini';
import { numericParam, parseBody } from '../shared/http/validate.js';
import type { Role } from '../shared/store/account-store.js';
import { parseAccountName } from './account-name.js';

const ROLE = z.enum(['owner', 'admin', 'member']);
const named = z.strictObject({ name: z.string() });
const newInvitation = z.strictObject({
  login: z
    .string()
    .check(
      z.trim(),
      z.regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, 'must be a GitHub login'),
    ),
  role: ROLE,
});
const roleChange = z.strictObject({ role: ROLE });

/** `{ name }`: an account's name, as stored (account-name.ts). */
export const accountNameBody = (body: unknown): string => parseAccountName(parseBody(named, body).name);

/** `{ login, role }`: whom to invite, as what. */
export const invitationBody = (body: unknown): { login: string; role: Role } =>
  parseBody(newInvitation, body);

/** `{ role }`: a member's new role. */
export const roleChangeBody = (body: unknown): { role: Role } => parseBody(roleChange, body);

/** `{userId}` of a member: an id that cannot exist is not found, as an unknown one. */
export const memberIdParam = (value: string | undefined): number =>
  numericParam(value, 'member_not_found', 'No such member.');
