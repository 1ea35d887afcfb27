import { api, unwrap } from '../api/client';
import { describeError } from '../errors';
import { paths, type Route } from '../router';
import { useSession } from '../session';

/** The top bar: who is signed in, which account is open, and "Sign out". */
export function Header({ route }: { route: Route }) {
  const { user, accounts, announce } = useSession();
  const accountId = 'accountId' in route ? route.accountId : undefined;
  const signOut = async () => {
    try {
      await unwrap(api.POST('/auth/logout'));
      window.location.assign(paths.home());
    } catch (error) {
      announce(describeError(error), 'error');
    }
  };
  return (
    <header class="top">
      <a class="brand" href={paths.home()}>
        Console
      </a>
      <nav aria-label="Accounts">
        <ul>
          {accounts.map((account) => (
            <li key={account.id}>
              <a
                href={paths.account(account.id)}
                aria-current={account.id === accountId ? 'page' : undefined}
              >
                {account.name}
              </a>
            </li>
          ))}
          <li>
            <a href={paths.newAccount()}>New account</a>
          </li>
          <li>
            <a href={paths.invitations()}>Invitations</a>
          </li>
        </ul>
      </nav>
      <span class="user">{user.login}</span>
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
    </header>
  );
}
