import { getServices } from '../shared/services.js';
import type { GitHubUser } from '../shared/store/account-store.js';

/**
 * Called on sign-in with the profile GitHub just gave: the user's memberships and pending invitations
 * show their current login (a login is display data; the numeric id is who they are).
 */
export async function refreshDisplayLogin(
  profile: Readonly<GitHubUser & Record<string, unknown>>,
): Promise<void> {
  const user = { id: profile.id, login: profile.login };
  const { accounts, invitations } = getServices();
  await Promise.all([accounts.refreshLogin(user), invitations.refreshLogin(user)]);
}
