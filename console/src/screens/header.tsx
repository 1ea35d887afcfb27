import { useEffect, useRef, useState } from 'preact/hooks';
import { api, unwrap, type Schemas } from '../api/client';
import { describeError } from '../errors';
import { paths, type Route } from '../router';
import { useSession } from '../session';
import { roleWords } from './roles';
import { Avatar } from './avatar';

type Account = Schemas['Account'];

/** The top bar: the account switcher, who is signed in, and "Sign out" — one row however many accounts. */
export function Header({ route }: { route: Route }) {
  const { user, announce } = useSession();
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
      <AccountSwitcher accountId={accountId} />
      <ul class="links top-links">
        <li>
          <a href={paths.newAccount()} aria-current={route.name === 'newAccount' ? 'page' : undefined}>
            New account
          </a>
        </li>
        <li>
          <a href={paths.invitations()} aria-current={route.name === 'invitations' ? 'page' : undefined}>
            Invitations
          </a>
        </li>
      </ul>
      <span class="user">
        <Avatar url={user.avatarUrl} name={user.login} />
        <span>{user.login}</span>
      </span>
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
    </header>
  );
}

/**
 * Tells accounts apart where names alone do not: the caller's role always, and the end of the
 * account's id when another of the caller's accounts has the same name.
 */
export function accountDetail(account: Account, accounts: Account[]): string {
  const key = (name: string) => name.trim().toLocaleLowerCase();
  const shared = accounts.some((other) => other.id !== account.id && key(other.name) === key(account.name));
  const role = roleWords[account.role];
  return shared ? `${role} · id …${account.id.slice(-6)}` : role;
}

/**
 * One button naming the open account; it opens the list of every account (a disclosure of links,
 * so each is a plain link: middle-click, copy, screen readers' link lists all work). Closes on
 * Escape, on a click elsewhere and when the screen changes.
 */
function AccountSwitcher({ accountId }: { accountId: string | undefined }) {
  const { accounts } = useSession();
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const current = accounts.find((account) => account.id === accountId);

  useEffect(() => setOpen(false), [accountId]);
  useEffect(() => {
    if (!open) return;
    const onClick = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener('click', onClick);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('click', onClick);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  return (
    <div class="switcher" ref={root}>
      <button
        type="button"
        ref={button}
        class="switcher-button"
        aria-expanded={open}
        aria-controls="account-menu"
        title={current ? `${current.name} (${accountDetail(current, accounts)})` : undefined}
        onClick={() => setOpen(!open)}
      >
        {current ? (
          <>
            <span class="muted">Account:</span> <span class="switcher-name">{current.name}</span>
          </>
        ) : (
          'Accounts'
        )}
        {current && accountDetail(current, accounts) !== roleWords[current.role] ? (
          <span class="visually-hidden"> ({accountDetail(current, accounts)})</span>
        ) : null}
        <span aria-hidden="true"> ▾</span>
      </button>
      <nav id="account-menu" class="switcher-menu" aria-label="Accounts" hidden={!open}>
        {accounts.length === 0 ? (
          <p class="muted">No accounts yet.</p>
        ) : (
          <ul>
            {accounts.map((account) => (
              <li key={account.id}>
                <a
                  href={paths.account(account.id)}
                  aria-current={account.id === accountId ? 'page' : undefined}
                  onClick={() => setOpen(false)}
                >
                  <span class="switcher-name">{account.name}</span>{' '}
                  <span class="muted">{accountDetail(account, accounts)}</span>
                </a>
              </li>
            ))}
          </ul>
        )}
      </nav>
    </div>
  );
}
