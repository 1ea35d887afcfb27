import { useState } from 'preact/hooks';
import type { TargetedEvent } from 'preact';
import { api, unwrap } from '../api/client';
import { describeError } from '../errors';
import { useLoad } from '../hooks';
import { navigate, paths } from '../router';
import { useSession } from '../session';
import { mayManageAccount, roleWords } from './roles';

type Submit = TargetedEvent<HTMLFormElement, SubmitEvent>;

/** The account with its members (GET /accounts/{id} answers both). */
export function loadAccount(accountId: string) {
  return unwrap(api.GET('/accounts/{accountId}', { params: { path: { accountId } } }));
}

/** NewAccount: "Name" and "Create"; the creator becomes the owner and lands on the account. */
export function NewAccount() {
  const { refresh, announce } = useSession();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const create = async (event: Submit) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const account = await unwrap(api.POST('/accounts', { body: { name } }));
      await refresh();
      navigate(paths.account(account.id));
      announce(`Created the account ${account.name}. You are its owner.`);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="new-account-title">
      <h1 id="new-account-title">Create an account</h1>
      <p>An account groups your team: its members, linked GitHub App installations and repositories.</p>
      <form onSubmit={(event) => void create(event)}>
        <AccountNameField id="account-name" value={name} onChange={setName} />
        {error && <p role="alert">{error}</p>}
        <p class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Create
          </button>
        </p>
      </form>
    </section>
  );
}

/** AccountOverview: name and my role; rename and delete (owners), leave; the account's other screens. */
export function AccountOverview({ accountId }: { accountId: string }) {
  const { user, refresh, announce } = useSession();
  const loaded = useLoad(() => loadAccount(accountId), [accountId]);
  // While another account loads, the previous one's data is not shown as this one.
  const account = loaded.data?.id === accountId ? loaded.data : undefined;

  if (loaded.error !== undefined && !account)
    return (
      <section>
        <h1>Account</h1>
        <p role="alert">{describeError(loaded.error)}</p>
        <p>
          <a href={paths.home()}>Back to your accounts</a>
        </p>
      </section>
    );
  if (!account) return <p aria-busy="true">Loading…</p>;

  const owners = (account.members ?? []).filter((member) => member.role === 'owner').length;
  const lastOwner = account.role === 'owner' && owners <= 1;

  const leave = async () => {
    try {
      await unwrap(
        api.DELETE('/accounts/{accountId}/members/{userId}', {
          params: { path: { accountId, userId: String(user.id) } },
        }),
      );
      await refresh();
      navigate(paths.home());
      announce(`You left ${account.name}.`);
    } catch (failure) {
      announce(describeError(failure), 'error');
      loaded.reload();
    }
  };

  return (
    <section aria-labelledby="account-title">
      <h1 id="account-title">{account.name}</h1>
      <p>
        Your role: <strong>{roleWords[account.role]}</strong>
      </p>
      {mayManageAccount(account.role) && (
        <Rename key={accountId} accountId={accountId} current={account.name} onRenamed={loaded.reload} />
      )}
      <h2>Leave</h2>
      {/* Leaving as the only owner cannot succeed (409 last_owner): the button stays, disabled, with why. */}
      <p class="actions">
        <button
          type="button"
          disabled={lastOwner}
          aria-describedby={lastOwner ? 'leave-reason' : undefined}
          onClick={() => void leave()}
        >
          Leave {account.name}
        </button>
      </p>
      {lastOwner && (
        <p id="leave-reason" class="reason">
          You are the only owner. To leave, make someone else an owner on the{' '}
          <a href={paths.members(accountId)}>Members</a> page first, or delete the account.
        </p>
      )}
      {mayManageAccount(account.role) && <Delete key={accountId} accountId={accountId} name={account.name} />}
    </section>
  );
}

function Rename(props: { accountId: string; current: string; onRenamed: () => void }) {
  const { refresh, announce } = useSession();
  const [name, setName] = useState(props.current);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const rename = async (event: Submit) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const account = await unwrap(
        api.PATCH('/accounts/{accountId}', {
          params: { path: { accountId: props.accountId } },
          body: { name },
        }),
      );
      await refresh();
      props.onRenamed();
      announce(`Renamed the account to ${account.name}.`);
    } catch (failure) {
      setError(describeError(failure));
    }
    setBusy(false);
  };

  return (
    // No accessible name on the form: "Rename" would also answer to a search for the label "Name".
    <form onSubmit={(event) => void rename(event)}>
      <h2>Rename</h2>
      <AccountNameField id="rename-name" value={name} onChange={setName} />
      {error && <p role="alert">{error}</p>}
      <p class="actions">
        <button type="submit" disabled={busy}>
          Rename
        </button>
      </p>
    </form>
  );
}

/** Deleting asks once more: it ends every membership, invitation and link of the account. */
function Delete({ accountId, name }: { accountId: string; name: string }) {
  const { refresh, announce } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const remove = async () => {
    setError(null);
    try {
      await unwrap(api.DELETE('/accounts/{accountId}', { params: { path: { accountId } } }));
      await refresh();
      navigate(paths.home());
      announce(`Deleted the account ${name}. Its installations and repositories on GitHub are untouched.`);
    } catch (failure) {
      setError(describeError(failure));
    }
  };

  return (
    <section aria-labelledby="delete-title">
      <h2 id="delete-title">Delete</h2>
      {confirming ? (
        <div role="group" aria-labelledby="delete-confirm">
          <p id="delete-confirm">
            Delete {name}? Its members, invitations and installation links go with it. Nothing changes on
            GitHub.
          </p>
          {error && <p role="alert">{error}</p>}
          <p class="actions">
            <button type="button" class="danger" onClick={() => void remove()}>
              Yes, delete {name}
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </p>
        </div>
      ) : (
        <p class="actions">
          <button type="button" class="danger" onClick={() => setConfirming(true)}>
            Delete account
          </button>
        </p>
      )}
    </section>
  );
}

/** The "Name" field of an account (the API's AccountName: 1–100 characters). */
function AccountNameField({
  id,
  value,
  onChange,
}: {
  id: string;
  value: string;
  onChange: (name: string) => void;
}) {
  return (
    <>
      <label for={id}>Name</label>
      <input
        id={id}
        name="name"
        value={value}
        required
        maxLength={100}
        autoComplete="off"
        onInput={(event) => onChange(event.currentTarget.value)}
      />
    </>
  );
}
