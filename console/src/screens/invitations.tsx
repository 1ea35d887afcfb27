import { useState } from 'preact/hooks';
import { api, unwrap, type Schemas } from '../api/client';
import { describeError } from '../errors';
import { useLoad } from '../hooks';
import { navigate, paths } from '../router';
import { useSession } from '../session';
import { roleWords } from './roles';

/** MyInvitations: the signed-in user's pending invitations, each with "Accept" and "Decline". */
export function MyInvitations() {
  const { user } = useSession();
  const loaded = useLoad(() => unwrap(api.GET('/me/invitations')), [user.id]);
  const invitations = loaded.data?.invitations;

  return (
    <section aria-labelledby="invitations-title">
      <h1 id="invitations-title">Your invitations</h1>
      {loaded.error !== undefined && <p role="alert">{describeError(loaded.error)}</p>}
      {!invitations && loaded.loading && <p aria-busy="true">Loading…</p>}
      {invitations?.length === 0 && <p>No pending invitations.</p>}
      {invitations && invitations.length > 0 && (
        <ul class="cards">
          {invitations.map((invitation) => (
            <Invitation key={invitation.id} invitation={invitation} onChanged={loaded.reload} />
          ))}
        </ul>
      )}
    </section>
  );
}

function Invitation({ invitation, onChanged }: { invitation: Schemas['Invitation']; onChanged: () => void }) {
  const { refresh, announce } = useSession();
  const [busy, setBusy] = useState(false);
  const headingId = `invitation-${invitation.id}`;
  const name = invitation.account.name;
  const path = { params: { path: { invitationId: invitation.id } } };

  const accept = async () => {
    setBusy(true);
    try {
      const account = await unwrap(api.POST('/invitations/{invitationId}/accept', path));
      await refresh();
      navigate(paths.account(account.id));
      announce(`You joined ${account.name} as ${roleWords[account.role].toLowerCase()}.`);
    } catch (failure) {
      announce(describeError(failure), 'error');
      setBusy(false);
      onChanged();
    }
  };

  const decline = async () => {
    setBusy(true);
    try {
      await unwrap(api.POST('/invitations/{invitationId}/decline', path));
      announce(`You declined the invitation to ${name}.`);
    } catch (failure) {
      announce(describeError(failure), 'error');
    }
    setBusy(false);
    onChanged();
  };

  return (
    <li aria-labelledby={headingId}>
      <h2 id={headingId}>{name}</h2>
      <p>
        {invitation.invitedBy.login} invites you as <strong>{roleWords[invitation.role]}</strong>. Open until{' '}
        {new Date(invitation.expiresAt).toLocaleDateString()}.
      </p>
      <p class="actions">
        <button type="button" class="primary" disabled={busy} onClick={() => void accept()}>
          Accept<span class="visually-hidden"> the invitation to {name}</span>
        </button>
        <button type="button" disabled={busy} onClick={() => void decline()}>
          Decline<span class="visually-hidden"> the invitation to {name}</span>
        </button>
      </p>
    </li>
  );
}
