import { useState } from 'preact/hooks';
import type { TargetedEvent } from 'preact';
import { api, unwrap, type Schemas } from '../api/client';
import { describeError } from '../errors';
import { useLoad } from '../hooks';
import { navigate, paths } from '../router';
import { useSession } from '../session';
import { loadAccount } from './accounts';
import { grantableRoles, mayGrant, mayInvite, ROLES, roleWords, type Role } from './roles';

type Account = Awaited<ReturnType<typeof loadAccount>>;

/** The account (members included) and, for owners and admins, its pending invitations. */
async function loadMembers(accountId: string) {
  const account = await loadAccount(accountId);
  const invitations = mayInvite(account.role)
    ? (await unwrap(api.GET('/accounts/{accountId}/invitations', { params: { path: { accountId } } })))
        .invitations
    : [];
  return { account, invitations };
}

/** Members: who is in the account with which role, inviting, role changes, removal, invitations. */
export function Members({ accountId }: { accountId: string }) {
  const loaded = useLoad(() => loadMembers(accountId), [accountId]);
  const data = loaded.data?.account.id === accountId ? loaded.data : undefined;

  if (loaded.error !== undefined && !data)
    return (
      <section>
        <h1>Members</h1>
        <p role="alert">{describeError(loaded.error)}</p>
        <p>
          <a href={paths.home()}>Back to your accounts</a>
        </p>
      </section>
    );
  if (!data) return <p aria-busy="true">Loading…</p>;
  const { account, invitations } = data;

  return (
    <section aria-labelledby="members-title">
      <h1 id="members-title">Members of {account.name}</h1>
      <p>
        <a href={paths.account(accountId)}>Back to {account.name}</a>
      </p>
      <MemberTable account={account} reload={loaded.reload} />
      {mayInvite(account.role) ? (
        <>
          <Invite accountId={accountId} myRole={account.role} reload={loaded.reload} />
          <PendingInvitations
            accountId={accountId}
            myRole={account.role}
            invitations={invitations}
            reload={loaded.reload}
          />
        </>
      ) : (
        <p class="muted">Owners and admins invite people and change roles.</p>
      )}
    </section>
  );
}

/**
 * After a refused change the page reloads: a 403 or 409 usually means the roles changed meanwhile,
 * and the reloaded page shows what the caller may do now.
 */
function useAct(reload: () => void) {
  const { announce } = useSession();
  const [busy, setBusy] = useState(false);
  const act = async (run: () => Promise<string>): Promise<boolean> => {
    setBusy(true);
    try {
      announce(await run());
      return true;
    } catch (failure) {
      announce(describeError(failure), 'error');
      return false;
    } finally {
      setBusy(false);
      reload();
    }
  };
  return { busy, act };
}

function MemberTable({ account, reload }: { account: Account; reload: () => void }) {
  const { user, refresh } = useSession();
  const { busy, act } = useAct(reload);
  const accountId = account.id;
  const members = account.members ?? [];
  const owners = members.filter((member) => member.role === 'owner').length;
  const path = (member: Schemas['Member']) => ({
    params: { path: { accountId, userId: String(member.userId) } },
  });

  const changeRole = (member: Schemas['Member'], role: Role) =>
    act(async () => {
      const changed = await unwrap(
        api.PATCH('/accounts/{accountId}/members/{userId}', { ...path(member), body: { role } }),
      );
      // My own role shows in the account list.
      if (member.userId === user.id) await refresh();
      return `${changed.login} is now ${roleWords[changed.role].toLowerCase()}.`;
    });

  const remove = (member: Schemas['Member']) =>
    act(async () => {
      await unwrap(api.DELETE('/accounts/{accountId}/members/{userId}', path(member)));
      if (member.userId !== user.id) return `Removed ${member.login} from ${account.name}.`;
      // Leaving: the account is gone from my list; home shows what is left.
      await refresh();
      navigate(paths.home());
      return `You left ${account.name}.`;
    });

  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">Members and their roles</caption>
        <thead>
          <tr>
            <th scope="col">GitHub login</th>
            <th scope="col">Role</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {members.map((member) => {
            const self = member.userId === user.id;
            const roles = grantableRoles(account.role, member.role);
            // The API keeps one owner at least: the only owner can neither leave nor step down.
            const onlyOwner = member.role === 'owner' && owners <= 1;
            const reasonId = `member-reason-${member.userId}`;
            const mayAct = self || mayGrant(account.role, member.role);
            const reason =
              mayAct && onlyOwner
                ? 'The only owner cannot leave or step down: make someone else an owner first.'
                : !mayAct && account.role !== 'member'
                  ? 'Only an owner changes or removes an owner.'
                  : null;
            return (
              <tr key={member.userId}>
                <th scope="row">
                  {member.login}
                  {self && <span class="muted"> (you)</span>}
                </th>
                <td data-label="Role">{roleWords[member.role]}</td>
                <td>
                  <div class="actions tight">
                    {roles.length > 0 && (
                      <RoleChange
                        member={member}
                        roles={roles}
                        busy={busy}
                        disabled={onlyOwner}
                        describedBy={reason ? reasonId : undefined}
                        onChange={(role) => void changeRole(member, role)}
                      />
                    )}
                    {mayAct && (
                      <button
                        type="button"
                        class="danger"
                        disabled={busy || onlyOwner}
                        aria-describedby={reason ? reasonId : undefined}
                        onClick={() => void remove(member)}
                      >
                        {self ? 'Leave' : 'Remove'}
                        <span class="visually-hidden">{self ? ` ${account.name}` : ` ${member.login}`}</span>
                      </button>
                    )}
                  </div>
                  {reason && (
                    <p id={reasonId} class="reason">
                      {reason}
                    </p>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function RoleChange(props: {
  member: Schemas['Member'];
  roles: Role[];
  busy: boolean;
  disabled: boolean;
  describedBy?: string | undefined;
  onChange: (role: Role) => void;
}) {
  const { member } = props;
  const [role, setRole] = useState<Role>(member.role);
  const id = `role-${member.userId}`;
  return (
    <form
      class="inline"
      onSubmit={(event) => {
        event.preventDefault();
        props.onChange(role);
      }}
    >
      <label for={id} class="visually-hidden">
        Role of {member.login}
      </label>
      <select
        id={id}
        value={role}
        disabled={props.disabled}
        aria-describedby={props.describedBy}
        onChange={(event) => setRole(event.currentTarget.value as Role)}
      >
        {props.roles.map((option) => (
          <option key={option} value={option}>
            {roleWords[option]}
          </option>
        ))}
      </select>
      <button
        type="submit"
        disabled={props.busy || props.disabled || role === member.role}
        aria-describedby={props.describedBy}
      >
        Change role<span class="visually-hidden"> of {member.login}</span>
      </button>
    </form>
  );
}

function Invite(props: { accountId: string; myRole: Role; reload: () => void }) {
  const { busy, act } = useAct(props.reload);
  const [login, setLogin] = useState('');
  const [role, setRole] = useState<Role>('member');

  const invite = async (event: TargetedEvent<HTMLFormElement, SubmitEvent>) => {
    event.preventDefault();
    const done = await act(async () => {
      const result = await api.POST('/accounts/{accountId}/members', {
        params: { path: { accountId: props.accountId } },
        body: { login: login.trim(), role },
      });
      const data = await unwrap(Promise.resolve(result));
      const as = roleWords[data.role].toLowerCase();
      // 200: a pending invitation was renewed (7 more days, the new role).
      return result.response.status === 200
        ? `Renewed the invitation of ${data.login} as ${as}.`
        : `Invited ${data.login} as ${as}. They accept under Invitations once they sign in.`;
    });
    // A sent invitation starts the form over.
    if (done) {
      setLogin('');
      setRole('member');
    }
  };

  return (
    <form onSubmit={(event) => void invite(event)} aria-labelledby="invite-title">
      <h2 id="invite-title">Invite</h2>
      <p class="muted">People join only by accepting. Anyone on GitHub can be invited.</p>
      <label for="invite-login">GitHub login</label>
      <input
        id="invite-login"
        name="login"
        value={login}
        required
        autoComplete="off"
        autoCapitalize="none"
        spellcheck={false}
        onInput={(event) => setLogin(event.currentTarget.value)}
      />
      <label for="invite-role">Role</label>
      <select id="invite-role" value={role} onChange={(event) => setRole(event.currentTarget.value as Role)}>
        {ROLES.filter((option) => mayGrant(props.myRole, option)).map((option) => (
          <option key={option} value={option}>
            {roleWords[option]}
          </option>
        ))}
      </select>
      <p class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Invite
        </button>
      </p>
    </form>
  );
}

function PendingInvitations(props: {
  accountId: string;
  myRole: Role;
  invitations: Schemas['Invitation'][];
  reload: () => void;
}) {
  const { busy, act } = useAct(props.reload);
  const revoke = (invitation: Schemas['Invitation']) =>
    act(async () => {
      await unwrap(
        api.DELETE('/accounts/{accountId}/invitations/{invitationId}', {
          params: { path: { accountId: props.accountId, invitationId: invitation.id } },
        }),
      );
      return `Revoked the invitation of ${invitation.login}.`;
    });

  return (
    <section aria-labelledby="pending-title">
      <h2 id="pending-title">Pending invitations</h2>
      {props.invitations.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">GitHub login</th>
                <th scope="col">Role</th>
                <th scope="col">Invited by</th>
                <th scope="col">Open until</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {props.invitations.map((invitation) => (
                <tr key={invitation.id}>
                  <th scope="row">{invitation.login}</th>
                  <td data-label="Role">{roleWords[invitation.role]}</td>
                  <td data-label="Invited by">{invitation.invitedBy.login}</td>
                  <td data-label="Open until">{new Date(invitation.expiresAt).toLocaleDateString()}</td>
                  <td>
                    {mayGrant(props.myRole, invitation.role) && (
                      <button type="button" disabled={busy} onClick={() => void revoke(invitation)}>
                        Revoke<span class="visually-hidden"> the invitation of {invitation.login}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
