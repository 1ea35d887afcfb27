import { useEffect, useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { describeError } from '../errors';
import { useLoad } from '../hooks';
import { useAction } from './act';

type ActivityPage = Awaited<ReturnType<typeof listPage>>;
type ActivityEvent = ActivityPage['events'][number];

function listPage(accountId: string, type: string, cursor?: string) {
  return unwrap(
    api.GET('/accounts/{accountId}/events', {
      params: {
        path: { accountId },
        query: { ...(type ? { type } : {}), ...(cursor ? { cursor } : {}) },
      },
    }),
  );
}

/** The filter's choices: every family, then every type (the API's `type`, docs/events.md). */
const FAMILIES: [string, string][] = [
  ['account.', 'Account'],
  ['member.', 'Members and invitations'],
  ['installation.', 'Installations'],
  ['repository.', 'Repositories'],
  ['user.', 'Users'],
];

/** What happened, in words: one sentence per type (an unknown type still shows its name). */
const WHAT: Record<string, (e: Fields) => string> = {
  'account.created': (e) => `created the account ${e.name('account')}`,
  'account.renamed': (e) => `renamed the account from ${e.text('previousName')} to ${e.name('account')}`,
  'account.deleted': (e) => `deleted the account ${e.name('account')}`,
  'member.invited': (e) => `invited ${e.login('invitee')} as ${e.text('role')}`,
  'member.joined': (e) => `${e.login('member')} joined as ${e.text('role')}`,
  'member.declined': (e) => `${e.login('invitee')} declined the invitation`,
  'member.role_changed': (e) =>
    `changed ${e.login('member')}'s role from ${e.text('previousRole')} to ${e.text('role')}`,
  'member.left': (e) => `${e.login('member')} left the account`,
  'member.removed': (e) => `removed ${e.login('member')}`,
  'installation.linked': (e) => `linked the installation on ${e.installation()}`,
  'installation.unlinked': (e) => `unlinked the installation on ${e.installation()}`,
  'installation.scope_changed': (e) =>
    `changed which repositories on ${e.installation()} the account reaches`,
  'installation.suspended': (e) => `the installation on ${e.installation()} was suspended`,
  'installation.unsuspended': (e) => `the installation on ${e.installation()} was unsuspended`,
  'installation.deleted': (e) => `the App was uninstalled from ${e.installation()}`,
  'installation.renamed': (e) => `${e.text('previousLogin')} was renamed ${e.installation()} on GitHub`,
  'installation.permissions_accepted': (e) => `new permissions were accepted for ${e.installation()}`,
  'repository.created': (e) => `created the repository ${e.repository()}`,
  'repository.committed': (e) =>
    `committed ${e.count('fileCount', 'file')} to ${e.text('branch')} in ${e.repository()}`,
  'repository.pushed': (e) =>
    `pushed ${e.count('commitCount', 'commit')} to ${e.text('ref').replace(/^refs\/heads\//, '')} in ${e.repository()}`,
  'user.authorization_revoked': (e) => `${e.login('user')} revoked the App's authorization on GitHub`,
};

/** A field shown as text: a string or number as it is, anything else as "?". */
function word(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '?';
}

/** Reads an event's own fields (typed by the catalog, loosely by the API's contract). */
class Fields {
  constructor(private readonly event: ActivityEvent) {}
  private field(name: string): unknown {
    return (this.event as Record<string, unknown>)[name];
  }
  private object(name: string): Record<string, unknown> {
    const value = this.field(name);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  }
  text(name: string): string {
    return word(this.field(name));
  }
  name(name: string): string {
    return `"${word(this.object(name).name)}"`;
  }
  login(name: string): string {
    return word(this.object(name).login);
  }
  installation(): string {
    return word(this.object('installation').accountLogin);
  }
  repository(): string {
    const repository = this.object('repository');
    return `${word(repository.owner)}/${word(repository.name)}`;
  }
  count(name: string, noun: string): string {
    const value = this.field(name);
    const n = typeof value === 'number' ? value : 0;
    return n === 1 ? `1 ${noun}` : `${n} ${noun}s`;
  }
}

function who(event: ActivityEvent): string {
  const actor = event.actor;
  if (actor.type === 'user') return actor.login ?? 'A member';
  return actor.login ? `GitHub (${actor.login})` : 'GitHub';
}

function what(event: ActivityEvent): string {
  const describe = WHAT[event.type];
  return describe ? describe(new Fields(event)) : event.type;
}

/** The account's activity log, newest first: who, what, when; a type filter; "Load more". */
export function Activity({ accountId }: { accountId: string }) {
  const [type, setType] = useState('');
  const first = useLoad(() => listPage(accountId, type), [accountId, type]);
  // Pages after the first, appended by "Load more"; a new first page starts over.
  const [more, setMore] = useState<{
    events: ActivityEvent[];
    nextCursor?: string | undefined;
    loaded: boolean;
  }>({ events: [], loaded: false });
  useEffect(() => setMore({ events: [], loaded: false }), [first.data]);
  const { busy, run } = useAction();

  const events = [...(first.data?.events ?? []), ...more.events];
  const nextCursor = more.loaded ? more.nextCursor : first.data?.nextCursor;

  const loadMore = async () => {
    if (!nextCursor) return;
    const page = await run(() => listPage(accountId, type, nextCursor));
    if (page)
      setMore((previous) => ({
        events: [...previous.events, ...page.events],
        nextCursor: page.nextCursor,
        loaded: true,
      }));
  };

  return (
    <section>
      <h1>Activity</h1>
      <p>
        What happened in this account, newest first. Events are kept for 90 days unless the service says
        otherwise.
      </p>
      <form class="repo-search" onSubmit={(event) => event.preventDefault()}>
        <div>
          <label for="activity-type">Show</label>
          <select id="activity-type" value={type} onChange={(event) => setType(event.currentTarget.value)}>
            <option value="">All events</option>
            <optgroup label="Kinds">
              {FAMILIES.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </optgroup>
            <optgroup label="Events">
              {Object.keys(WHAT).map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </optgroup>
          </select>
        </div>
      </form>
      {first.error ? <p role="alert">{describeError(first.error)}</p> : null}
      {first.loading ? <p aria-busy="true">Loading activity…</p> : null}
      {first.data && !first.loading ? (
        events.length === 0 ? (
          <p>{nextCursor ? 'No such event among the latest ones.' : 'No activity yet.'}</p>
        ) : (
          <div class="table-wrap">
            <table aria-label="Activity">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                </tr>
              </thead>
              <tbody>
                {events.map((event) => (
                  <tr key={event.eventId}>
                    <td data-label="When">
                      <time dateTime={event.occurredAt}>{new Date(event.occurredAt).toLocaleString()}</time>
                    </td>
                    <td data-label="Who">{who(event)}</td>
                    <td data-label="What">{what(event)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      {nextCursor && !first.loading ? (
        <p>
          <button type="button" disabled={busy} onClick={() => void loadMore()}>
            Load more
          </button>
        </p>
      ) : null}
    </section>
  );
}
