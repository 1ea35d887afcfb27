import { api, unwrap } from '../api/client';
import { describeError } from '../errors';
import { useLoad } from '../hooks';
import { paths } from '../router';
import { useSession } from '../session';
import { accountDetail } from './header';

/** Home: the accounts to open, or, with none yet, an invitation to create one. */
export function Home() {
  const { user, accounts } = useSession();
  const invitations = useLoad(() => unwrap(api.GET('/me/invitations')), [user.id]);
  const pending = invitations.data?.invitations.length ?? 0;

  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title">Your accounts</h1>
      {accounts.length === 0 ? (
        <>
          <p>You do not belong to any account yet. Create one for your team, or accept an invitation.</p>
          <p class="actions">
            <a class="button primary" href={paths.newAccount()}>
              Create an account
            </a>
          </p>
        </>
      ) : (
        <>
          <ul class="cards">
            {accounts.map((account) => (
              <li key={account.id}>
                <a href={paths.account(account.id)}>{account.name}</a>{' '}
                <span class="muted">({accountDetail(account, accounts)})</span>
              </li>
            ))}
          </ul>
          <p class="actions">
            <a class="button" href={paths.newAccount()}>
              Create another account
            </a>
          </p>
        </>
      )}
      {invitations.error !== undefined && <p role="alert">{describeError(invitations.error)}</p>}
      {pending > 0 && (
        <p>
          <a href={paths.invitations()}>
            {pending === 1 ? 'You have 1 pending invitation' : `You have ${pending} pending invitations`}
          </a>
        </p>
      )}
      {invitations.data && pending === 0 && <p class="muted">No pending invitations.</p>}
    </section>
  );
}
