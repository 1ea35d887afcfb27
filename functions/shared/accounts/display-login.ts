import { getServices } from '../services.js';
import { AccountStore, type GitHubUser } from '../store/account-store.js';
import { InvitationStore } from '../store/invitation-store.js';

/**
 * Called on sign-in with the profile GitHub just gave: the user's memberships and pending invitations
 * show their current login (a login is display data; the numeric id is who they are).
 */
export async function refreshDisplayLogin(
  profile: Readonly<GitHubUser & Record<string, unknown>>,
  table = getServices().table,
): Promise<void> {
  const user = { id: profile.id, login: profile.login };
  await Promise.all([
    new AccountStore(table).refreshLogin(user),
    new InvitationStore(table).refreshLogin(user),
  ]);
}
