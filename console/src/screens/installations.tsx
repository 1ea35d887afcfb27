import { useEffect } from 'preact/hooks';
import { api, apiBase, ApiError, unwrap, type Schemas } from '../api/client';
import { describeError } from '../errors';
import { useLoad } from '../hooks';
import { navigate, paths } from '../router';
import { useSession } from '../session';
import { useAction } from './act';
import { Avatar } from './avatar';

type Installation = Schemas['Installation'];

/** Words for a code the API passes in the query (`install_error`, `auth_error`) rather than a body. */
function describeCode(code: string): string {
  return describeError(new ApiError(400, { error: code, message: `GitHub's answer was "${code}".` }));
}

/**
 * Where the install round trip comes back: the callback appends `linked=true&installation_id=…`,
 * `install_error=<code>` or `auth_error=<reason>`. Says it in words, then drops the query so a
 * reload does not say it again.
 */
function useInstallOutcome() {
  const { announce } = useSession();
  useEffect(() => {
    const query = new URLSearchParams(window.location.search);
    const installationId = query.get('installation_id');
    const installError = query.get('install_error');
    const authError = query.get('auth_error');
    if (query.get('linked') === 'true') {
      announce(`The App is installed and installation ${installationId ?? ''} is linked to this account.`);
    } else if (installError) {
      announce(`The installation was not linked. ${describeCode(installError)}`, 'error');
    } else if (authError) {
      announce(`Signing in with GitHub did not finish. ${describeCode(authError)}`, 'error');
    } else if (query.get('setup_action') === 'update') {
      announce(`GitHub's settings for installation ${installationId ?? ''} were updated.`);
    } else {
      return;
    }
    navigate(window.location.pathname, { replace: true });
  }, []);
}

/** The installations the user can reach on GitHub, linked to this account or not; link, unlink, install. */
export function Installations({ accountId }: { accountId: string }) {
  const { accounts, announce } = useSession();
  const account = accounts.find((candidate) => candidate.id === accountId);
  // Absolute, on this origin: the API sends the browser back here after GitHub's install page.
  const returnTo = new URL(paths.installations(accountId), window.location.href).href;
  const list = useLoad(
    () =>
      unwrap(
        api.GET('/accounts/{accountId}/installations', {
          params: { path: { accountId }, query: { returnTo } },
        }),
      ),
    [accountId],
  );
  const { busy, run } = useAction();
  // The callback linked before sending the browser back, so the first load already shows it.
  useInstallOutcome();

  const link = async (installation: Installation) => {
    const done = await run(() =>
      unwrap(
        api.PUT('/accounts/{accountId}/installations/{installationId}', {
          params: { path: { accountId, installationId: String(installation.id) } },
        }),
      ),
    );
    if (done) {
      announce(`${label(installation)} is linked to ${account?.name ?? 'this account'}.`);
      list.reload();
    }
  };
  const unlink = async (installation: Installation) => {
    const done = await run(async () => {
      await unwrap(
        api.DELETE('/accounts/{accountId}/installations/{installationId}', {
          params: { path: { accountId, installationId: String(installation.id) } },
        }),
      );
      return true;
    });
    if (done) {
      announce(`${label(installation)} is no longer linked to ${account?.name ?? 'this account'}.`);
      list.reload();
    }
  };
  const install = () => {
    // installApp answers with a redirect to GitHub's install page (and sets the flow cookie): the
    // browser itself must go there, not fetch.
    // The listed installUrl is the API's own (its configured base URL); the same route on the
    // console's API base serves when the list could not be read.
    const url =
      list.data?.installUrl ??
      `${apiBase}/accounts/${encodeURIComponent(accountId)}/installations/new?returnTo=${encodeURIComponent(returnTo)}`;
    window.location.assign(url);
  };

  return (
    <section>
      <h1>Installations</h1>
      <p>
        The GitHub accounts where the App is installed and you can reach it. Linking one lets this account use
        its repositories.
      </p>
      {list.error ? <p role="alert">{describeError(list.error)}</p> : null}
      {list.loading && !list.data ? <p aria-busy="true">Loading installations…</p> : null}
      {list.data ? (
        list.data.installations.length === 0 ? (
          <p>No installation of the App is reachable yet. Install it on a GitHub account below.</p>
        ) : (
          <div class="table-wrap">
            <table aria-label="Installations of the App">
              <thead>
                <tr>
                  <th scope="col">GitHub account</th>
                  <th scope="col">State</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {list.data.installations.map((installation) => (
                  <tr key={installation.id}>
                    <td>
                      <span class="with-avatar">
                        <Avatar url={installation.account?.avatarUrl} name={label(installation)} />
                        <strong>{label(installation)}</strong>
                      </span>
                      <br />
                      <span class="muted">
                        {installation.account?.type === 'Organization' ? 'Organization' : 'Personal account'}
                        {installation.repositorySelection === 'selected'
                          ? ', selected repositories'
                          : installation.repositorySelection === 'all'
                            ? ', all repositories'
                            : ''}
                      </span>
                    </td>
                    <td data-label="State" id={`installation-state-${installation.id}`}>
                      {state(installation)}
                      {installation.commitPolicy ? (
                        <>
                          <br />
                          <span class="muted">{commitPolicyText(installation.commitPolicy)}</span>
                        </>
                      ) : null}
                    </td>
                    <td>
                      {installation.linked ? (
                        <button
                          type="button"
                          disabled={busy}
                          aria-label={`Unlink ${label(installation)}`}
                          onClick={() => void unlink(installation)}
                        >
                          Unlink
                        </button>
                      ) : (
                        <button
                          type="button"
                          class="primary"
                          disabled={busy || !installation.accessible}
                          aria-label={`Link ${label(installation)}`}
                          // The state cell says why a Link cannot succeed (not reachable, suspended).
                          aria-describedby={`installation-state-${installation.id}`}
                          onClick={() => void link(installation)}
                        >
                          Link
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <h2>Install the App on another GitHub account</h2>
      <p>
        GitHub asks where to install it, then sends you back here and the new installation is linked to this
        account.
      </p>
      <button type="button" class="primary" onClick={install}>
        Install
      </button>
    </section>
  );
}

function label(installation: Installation): string {
  return installation.account?.login ?? `Installation ${installation.id}`;
}

/** The installation's state in words: linked or not, and what that means for this account. */
function state(installation: Installation): string {
  const parts = [
    installation.linked
      ? 'Linked: this account uses its repositories'
      : installation.accessible
        ? 'Not linked: link it to use its repositories here'
        : 'Not linked',
  ];
  if (!installation.accessible)
    parts.push(
      installation.linked
        ? 'you cannot reach it on GitHub yourself (a teammate linked it; only they can see its details)'
        : 'you cannot reach it on GitHub, so you cannot link it',
    );
  if (installation.suspended)
    parts.push('suspended on GitHub: GitHub refuses the App its repositories for now');
  return parts.join('; ') + '.';
}

/** Who may commit through the link (set by an owner of the account who owns the GitHub account). */
function commitPolicyText(policy: NonNullable<Installation['commitPolicy']>): string {
  const parts = [
    policy.committers === 'account_members'
      ? 'Commits: any member of this account'
      : 'Commits: only members with push access on GitHub',
  ];
  const admins = [
    policy.defaultBranchNeedsAdmin ? 'the default branch' : undefined,
    policy.githubPathsNeedAdmin ? '.github' : undefined,
  ].filter(Boolean);
  if (admins.length > 0) parts.push(`${admins.join(' and ')} for admins only`);
  if (policy.readOnlyRepositories.length > 0)
    parts.push(`read-only: ${policy.readOnlyRepositories.join(', ')}`);
  return parts.join('; ');
}
