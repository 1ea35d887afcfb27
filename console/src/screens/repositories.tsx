import { useEffect, useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { describeError } from '../errors';
import { useLoad } from '../hooks';
import { navigate, paths } from '../router';
import { useAction } from './act';

type RepositoryPage = Awaited<ReturnType<typeof listPage>>;
type LinkedRepository = RepositoryPage['repositories'][number];
type InstallationStatus = RepositoryPage['installations'][number];

function listPage(accountId: string, filter: Filter, cursor?: string) {
  return unwrap(
    api.GET('/accounts/{accountId}/repositories', {
      params: {
        path: { accountId },
        query: {
          ...(filter.q ? { q: filter.q } : {}),
          ...(filter.installationId ? { installationId: Number(filter.installationId) } : {}),
          ...(cursor ? { cursor } : {}),
        },
      },
    }),
  );
}

interface Filter {
  q: string;
  installationId: string;
}

/** What an installation's status means for the list below, in words. */
function statusWords(installation: InstallationStatus): string {
  switch (installation.status) {
    case 'ok':
      return installation.syncedAt
        ? `linked, all its repositories listed (read from GitHub ${new Date(installation.syncedAt).toLocaleString()})`
        : 'linked, all its repositories listed';
    case 'syncing':
      return 'linked, its repositories are still being read from GitHub: the list is not complete yet';
    case 'suspended':
      return 'suspended on GitHub: its repositories are not listed';
    case 'unavailable':
      return 'unavailable (uninstalled on GitHub, or GitHub failed for it): its list may be out of date';
    case 'sso_required':
      return 'its organisation requires SAML SSO: its list may be out of date';
  }
}

const visibilityWords: Record<string, string> = {
  public: 'Public',
  private: 'Private',
  internal: 'Internal',
};

/** The repositories of the account's linked installations: search, filter, page with the API's cursor. */
export function Repositories({ accountId }: { accountId: string }) {
  const [filter, setFilter] = useState<Filter>({ q: '', installationId: '' });
  const [draft, setDraft] = useState<Filter>(filter);
  const first = useLoad(() => listPage(accountId, filter), [accountId, filter.q, filter.installationId]);
  // Pages after the first, appended by "Load more"; a new first page starts over. A page through a
  // scoped link may be short, even empty, and still have a next one: `loaded`, not its length, says
  // whose cursor is current.
  const [more, setMore] = useState<{
    repositories: LinkedRepository[];
    nextCursor?: string | undefined;
    loaded?: boolean;
  }>({
    repositories: [],
  });
  useEffect(() => setMore({ repositories: [] }), [first.data]);
  const { busy, run } = useAction();

  const repositories = [...(first.data?.repositories ?? []), ...more.repositories];
  const nextCursor = more.loaded ? more.nextCursor : first.data?.nextCursor;
  const statuses = first.data?.installations ?? [];
  // Remember every installation seen, so the filter keeps its choices while one is selected.
  const [known, setKnown] = useState<InstallationStatus[]>([]);
  useEffect(() => {
    if (!filter.installationId && first.data) setKnown(first.data.installations);
  }, [first.data]);

  const loadMore = async () => {
    if (!nextCursor) return;
    const page = await run(() => listPage(accountId, filter, nextCursor));
    if (page)
      setMore((previous) => ({
        repositories: [...previous.repositories, ...page.repositories],
        nextCursor: page.nextCursor,
        loaded: true,
      }));
  };

  return (
    <section>
      <h1>Repositories</h1>
      <p>
        <a class="button primary" href={paths.newRepository(accountId)}>
          New repository
        </a>
      </p>
      <form
        class="repo-search"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          setFilter({ q: draft.q.trim(), installationId: draft.installationId });
        }}
      >
        <div>
          <label for="repo-q">Search repositories</label>
          <input
            id="repo-q"
            type="search"
            maxLength={100}
            value={draft.q}
            onInput={(event) => setDraft({ ...draft, q: event.currentTarget.value })}
          />
        </div>
        <div>
          <label for="repo-installation">Installation</label>
          <select
            id="repo-installation"
            value={draft.installationId}
            onChange={(event) => setDraft({ ...draft, installationId: event.currentTarget.value })}
          >
            <option value="">All linked installations</option>
            {known.map((installation) => (
              <option key={installation.id} value={String(installation.id)}>
                {installation.account ?? `Installation ${installation.id}`}
              </option>
            ))}
          </select>
        </div>
        <div>
          <button type="submit">Search</button>
        </div>
      </form>
      {statuses.length ? (
        <ul class="installation-status" aria-label="Linked installations">
          {statuses.map((installation) => (
            <li key={installation.id} class={`status-${installation.status}`}>
              {installation.account ?? `Installation ${installation.id}`}: {statusWords(installation)}
            </li>
          ))}
        </ul>
      ) : null}
      {first.error ? <p role="alert">{describeError(first.error)}</p> : null}
      {first.loading ? <p aria-busy="true">Loading repositories…</p> : null}
      {first.data && !first.loading ? (
        first.data.installations.length === 0 ? (
          <p>
            No installation is linked to this account yet.{' '}
            <a href={paths.installations(accountId)}>Link one</a> to see its repositories.
          </p>
        ) : repositories.length === 0 ? (
          <p>No repository matches.</p>
        ) : (
          <>
            <p class="repo-count">{countWords(first.data.total, repositories.length, filter, known)}</p>
            <div class="table-wrap">
              <table aria-label="Repositories">
                <thead>
                  <tr>
                    <th scope="col">Repository</th>
                    <th scope="col">Visibility</th>
                    <th scope="col">Default branch</th>
                  </tr>
                </thead>
                <tbody>
                  {repositories.map((repository) => (
                    <tr key={repository.fullName}>
                      <td>
                        <a href={paths.repository(accountId, repository.owner, repository.name)}>
                          {repository.fullName}
                        </a>
                        {repository.archived ? <span class="muted"> (archived)</span> : null}
                      </td>
                      <td data-label="Visibility">
                        {visibilityWords[repository.visibility] ?? repository.visibility}
                      </td>
                      <td data-label="Default branch">{repository.defaultBranch}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
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

/**
 * The account's total (the API counts it without `q`), of one installation when filtered; with a
 * search, how many matches are shown so far.
 */
function countWords(total: number | undefined, shown: number, filter: Filter, known: InstallationStatus[]) {
  const plural = (n: number) => (n === 1 ? '1 repository' : `${n} repositories`);
  if (total === undefined)
    // No total: a search, or a link narrowed to some repositories (counting them would read them all).
    return filter.q ? `Repositories matching "${filter.q}": ${shown} shown.` : `${plural(shown)} shown.`;
  const installation = known.find((candidate) => String(candidate.id) === filter.installationId);
  const where = filter.installationId
    ? `in ${installation?.account ?? `installation ${filter.installationId}`}`
    : 'in this account';
  return shown < total ? `${plural(total)} ${where}, ${shown} shown.` : `${plural(total)} ${where}.`;
}

interface FileRow {
  key: number;
  path: string;
  content: string;
}

const TEMPLATE = /^([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})\/([A-Za-z0-9._-]{1,100})$/;

/** Create a repository in a linked GitHub account, optionally from a template and with files. */
export function NewRepository({ accountId }: { accountId: string }) {
  const installations = useLoad(
    () => unwrap(api.GET('/accounts/{accountId}/installations', { params: { path: { accountId } } })),
    [accountId],
  );
  const owners = (installations.data?.installations ?? []).filter(
    (installation) => installation.linked && installation.accessible && installation.account,
  );
  const [name, setName] = useState('');
  const [installationId, setInstallationId] = useState('');
  const [visibility, setVisibility] = useState<'private' | 'public'>('private');
  const [template, setTemplate] = useState('');
  const [files, setFiles] = useState<FileRow[]>([]);
  const [nextKey, setNextKey] = useState(1);
  const [problem, setProblem] = useState('');
  const { busy, run } = useAction();
  const chosen = installationId || String(owners[0]?.id ?? '');

  const addFile = () => {
    setFiles([...files, { key: nextKey, path: '', content: '' }]);
    setNextKey(nextKey + 1);
  };
  const setFile = (key: number, change: Partial<FileRow>) =>
    setFiles(files.map((file) => (file.key === key ? { ...file, ...change } : file)));

  const create = async () => {
    setProblem('');
    const templateMatch = template.trim() ? TEMPLATE.exec(template.trim()) : null;
    if (template.trim() && !templateMatch)
      return setProblem('The template must be written owner/repository, e.g. octo-org/project-template.');
    if (!chosen) return setProblem('Choose the GitHub account that will own the repository.');
    const body = {
      installationId: Number(chosen),
      name: name.trim(),
      private: visibility === 'private',
      ...(templateMatch ? { template: { owner: templateMatch[1] ?? '', repo: templateMatch[2] ?? '' } } : {}),
      ...(files.length ? { files: files.map(({ path, content }) => ({ path: path.trim(), content })) } : {}),
    };
    const created = await run(() =>
      unwrap(api.POST('/accounts/{accountId}/repositories', { params: { path: { accountId } }, body })),
    );
    if (!created) return;
    const [owner = '', repo = ''] = created.fullName.split('/');
    // The repository's own screen shows it; its path change clears the live region anyway.
    navigate(paths.repository(accountId, owner, repo));
  };

  return (
    <section>
      <h1>Create a repository</h1>
      {installations.error ? <p role="alert">{describeError(installations.error)}</p> : null}
      {installations.data && owners.length === 0 ? (
        <p>
          No installation you can reach is linked to this account.{' '}
          <a href={paths.installations(accountId)}>Link one</a> first.
        </p>
      ) : null}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void create();
        }}
      >
        <label for="new-repo-name">Repository name</label>
        <input
          id="new-repo-name"
          required
          maxLength={100}
          pattern="[A-Za-z0-9._\-]{1,100}"
          aria-describedby="new-repo-name-help"
          value={name}
          onInput={(event) => setName(event.currentTarget.value)}
        />
        <p id="new-repo-name-help" class="muted">
          Letters, digits, dots, dashes and underscores.
        </p>
        <label for="new-repo-owner">Owner</label>
        <select
          id="new-repo-owner"
          value={chosen}
          onChange={(event) => setInstallationId(event.currentTarget.value)}
        >
          {owners.map((installation) => (
            <option key={installation.id} value={String(installation.id)}>
              {installation.account?.login}
            </option>
          ))}
        </select>
        <fieldset>
          <legend>Visibility</legend>
          <label class="inline">
            <input
              type="radio"
              name="visibility"
              value="private"
              checked={visibility === 'private'}
              onChange={() => setVisibility('private')}
            />{' '}
            Private
          </label>
          <label class="inline">
            <input
              type="radio"
              name="visibility"
              value="public"
              checked={visibility === 'public'}
              onChange={() => setVisibility('public')}
            />{' '}
            Public (owners and admins)
          </label>
        </fieldset>
        <label for="new-repo-template">Template (optional)</label>
        <input
          id="new-repo-template"
          placeholder="owner/repository"
          aria-describedby="new-repo-template-help"
          value={template}
          onInput={(event) => setTemplate(event.currentTarget.value)}
        />
        <p id="new-repo-template-help" class="muted">
          A template repository on GitHub, e.g. octo-org/project-template.
        </p>
        <fieldset>
          <legend>Files (optional)</legend>
          {files.map((file, index) => (
            <div class="file-row" key={file.key}>
              <label for={`file-path-${file.key}`}>File {index + 1} path</label>
              <input
                id={`file-path-${file.key}`}
                required
                placeholder="docs/readme.md"
                value={file.path}
                onInput={(event) => setFile(file.key, { path: event.currentTarget.value })}
              />
              <label for={`file-content-${file.key}`}>File {index + 1} content</label>
              <textarea
                id={`file-content-${file.key}`}
                rows={4}
                value={file.content}
                onInput={(event) => setFile(file.key, { content: event.currentTarget.value })}
              />
              <button type="button" onClick={() => setFiles(files.filter((other) => other.key !== file.key))}>
                Remove file {index + 1}
              </button>
            </div>
          ))}
          <button type="button" onClick={addFile}>
            Add a file
          </button>
        </fieldset>
        {problem ? <p role="alert">{problem}</p> : null}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || owners.length === 0}>
            Create
          </button>
        </div>
      </form>
    </section>
  );
}
