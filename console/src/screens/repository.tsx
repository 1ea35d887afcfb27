import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, unwrap } from '../api/client';
import { describeError } from '../errors';
import { useLoad } from '../hooks';
import { navigate, paths, useLocation } from '../router';
import { useSession } from '../session';
import { useAction } from './act';

interface Props {
  accountId: string;
  owner: string;
  repo: string;
  path: string;
}

/** The file's text, or null when it is binary (a NUL byte, or not UTF-8). */
function decodeText(base64: string): string | null {
  const raw = atob(base64.replace(/\s/g, ''));
  const bytes = Uint8Array.from(raw, (char) => char.charCodeAt(0));
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function withRef(url: string, ref: string): string {
  return ref ? `${url}?ref=${encodeURIComponent(ref)}` : url;
}

const SHOWN_ENTRIES = 2000;

/** Import view: the tree of the default branch or a chosen ref, a file's preview, and a commit form. */
export function RepositoryView({ accountId, owner, repo, path }: Props) {
  const { announce } = useSession();
  const location = useLocation();
  const ref = location.searchParams.get('ref') ?? '';
  const fullName = `${owner}/${repo}`;

  const tree = useLoad(
    () =>
      unwrap(
        api.GET('/accounts/{accountId}/repositories/{owner}/{repo}/tree', {
          params: { path: { accountId, owner, repo }, query: ref ? { ref } : {} },
        }),
      ),
    [accountId, owner, repo, ref],
  );
  const file = useLoad(
    async () =>
      path
        ? unwrap(
            // The file path is one parameter, its slashes sent as %2F; the router let no `.`, `..` or
            // empty segment into it.
            api.GET('/accounts/{accountId}/repositories/{owner}/{repo}/contents/{path}', {
              params: { path: { accountId, owner, repo, path }, query: ref ? { ref } : {} },
            }),
          )
        : undefined,
    [accountId, owner, repo, path, ref],
  );
  const text = file.data?.type === 'file' ? decodeText(file.data.content) : null;

  const [refDraft, setRefDraft] = useState(ref);
  useEffect(() => setRefDraft(ref), [ref]);

  // The commit form keeps its draft across reloads (a head_moved answer offers one).
  const [filePath, setFilePath] = useState(path);
  const [content, setContent] = useState('');
  const [message, setMessage] = useState('');
  const [branch, setBranch] = useState(ref);
  const [moved, setMoved] = useState<{ branch: string; currentSha: string | null } | null>(null);
  const { busy, run } = useAction();

  const edit = () => {
    if (text === null || !file.data || file.data.type !== 'file') return;
    setFilePath(file.data.path);
    setContent(text);
    document.getElementById('commit-path')?.focus();
  };

  const commit = async () => {
    setMoved(null);
    const target = branch.trim();
    const expectedHeadSha = tree.data?.commitSha;
    const committed = await run(async () => {
      try {
        return await unwrap(
          api.POST('/accounts/{accountId}/repositories/{owner}/{repo}/commits', {
            params: { path: { accountId, owner, repo } },
            body: {
              branch: target,
              message,
              files: [{ path: filePath.trim(), content, encoding: 'utf-8' }],
              // On top of exactly what is shown: the shown ref's head (a new branch starts from it).
              ...(expectedHeadSha ? { expectedHeadSha } : {}),
              ...(ref && ref !== target ? { baseBranch: ref } : {}),
            },
          }),
        );
      } catch (error) {
        if (error instanceof ApiError && error.code === 'head_moved') {
          const currentSha = (error.body as { currentSha?: string | null }).currentSha ?? null;
          setMoved({ branch: target, currentSha });
          return undefined;
        }
        throw error;
      }
    });
    if (!committed) return;
    announce(`Committed ${committed.sha.slice(0, 7)} on branch ${committed.branch}.`);
    // A committed change starts the form over (the branch stays: the screen now shows it).
    setFilePath('');
    setContent('');
    setMessage('');
    setBranch(committed.branch);
    // Same screen, now showing the branch the change landed on.
    navigate(withRef(paths.repository(accountId, owner, repo, path), committed.branch));
    if (committed.branch === ref) {
      tree.reload();
      file.reload();
    }
  };

  const reloadFiles = () => {
    setMoved(null);
    tree.reload();
    file.reload();
  };

  const entries = tree.data?.entries ?? [];

  return (
    <section>
      <h1>{fullName}</h1>
      <form
        class="ref-form"
        onSubmit={(event) => {
          event.preventDefault();
          navigate(withRef(paths.repository(accountId, owner, repo), refDraft.trim()));
        }}
      >
        <label for="repo-ref">Branch, tag or commit</label>
        <div class="inline-field">
          <input
            id="repo-ref"
            placeholder="default branch"
            maxLength={255}
            value={refDraft}
            onInput={(event) => setRefDraft(event.currentTarget.value)}
          />
          <button type="submit">Show</button>
        </div>
      </form>
      <p class="muted">
        {ref ? `Showing ${ref}` : 'Showing the default branch'}
        {tree.data ? `, commit ${tree.data.commitSha.slice(0, 7)}` : ''}.
      </p>

      <div class="repo-layout">
        <nav aria-label="Files" class="repo-tree">
          <h2>Files</h2>
          {tree.error ? <p role="alert">{describeError(tree.error)}</p> : null}
          {tree.loading ? <p aria-busy="true">Loading the tree…</p> : null}
          {tree.data?.truncated ? (
            <p class="muted">GitHub cut this tree short (it is very large): not every file is listed.</p>
          ) : null}
          {tree.data && entries.length === 0 ? <p>This commit has no files.</p> : null}
          <ul>
            {entries.slice(0, SHOWN_ENTRIES).map((entry) => {
              const depth = entry.path.split('/').length - 1;
              const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
              return (
                <li key={entry.path} style={{ paddingLeft: `${depth}rem` }}>
                  {entry.type === 'blob' ? (
                    <a
                      href={withRef(paths.repository(accountId, owner, repo, entry.path), ref)}
                      aria-current={entry.path === path ? 'page' : undefined}
                    >
                      {name}
                    </a>
                  ) : entry.type === 'tree' ? (
                    <span>{name}/</span>
                  ) : (
                    <span>{name} (submodule)</span>
                  )}
                </li>
              );
            })}
          </ul>
          {entries.length > SHOWN_ENTRIES ? (
            <p class="muted">{entries.length - SHOWN_ENTRIES} more entries are not listed here.</p>
          ) : null}
        </nav>

        <div class="repo-preview">
          {path ? (
            <section aria-labelledby="preview-title">
              <h2 id="preview-title">{path}</h2>
              {file.error ? <p role="alert">{describeError(file.error)}</p> : null}
              {file.loading ? <p aria-busy="true">Loading the file…</p> : null}
              {!file.loading && file.data?.type === 'dir' ? (
                <ul>
                  {file.data.entries.map((entry) => (
                    <li key={entry.path}>
                      <a href={withRef(paths.repository(accountId, owner, repo, entry.path), ref)}>
                        {entry.path}
                      </a>
                    </li>
                  ))}
                </ul>
              ) : null}
              {!file.loading && file.data?.type === 'file' ? (
                text === null ? (
                  <p>This file is binary ({file.data.size} bytes): it cannot be shown as text.</p>
                ) : (
                  <>
                    <pre tabIndex={0} aria-label={`Contents of ${path}`}>
                      <code>{text}</code>
                    </pre>
                    <button type="button" onClick={edit}>
                      Edit this file
                    </button>
                  </>
                )
              ) : null}
            </section>
          ) : (
            <p class="muted">Choose a file to see it.</p>
          )}
        </div>
      </div>

      <section aria-labelledby="commit-title">
        <h2 id="commit-title">Commit a change on a branch</h2>
        <p class="muted">
          The change is made on top of the files shown above. A branch that does not exist yet is created from{' '}
          {ref || 'the default branch'}.
        </p>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void commit();
          }}
        >
          <label for="commit-path">File path</label>
          <input
            id="commit-path"
            required
            placeholder="docs/notes.md"
            value={filePath}
            onInput={(event) => setFilePath(event.currentTarget.value)}
          />
          <label for="commit-content">File content</label>
          <textarea
            id="commit-content"
            rows={8}
            value={content}
            onInput={(event) => setContent(event.currentTarget.value)}
          />
          <label for="commit-message">Commit message</label>
          <input
            id="commit-message"
            required
            value={message}
            onInput={(event) => setMessage(event.currentTarget.value)}
          />
          <label for="commit-branch">Branch</label>
          <input
            id="commit-branch"
            required
            maxLength={255}
            placeholder="feature/my-change"
            value={branch}
            onInput={(event) => setBranch(event.currentTarget.value)}
          />
          {moved ? (
            <div role="alert">
              <p>
                Branch {moved.branch} has changed since these files were loaded
                {moved.currentSha ? ` (it is now at ${moved.currentSha.slice(0, 7)})` : ''}, so nothing was
                committed and nothing was overwritten. Reload the files, check the change against them, and
                commit again.
              </p>
              <div class="actions">
                {moved.branch === ref ? (
                  <button type="button" onClick={reloadFiles}>
                    Reload files
                  </button>
                ) : (
                  <a
                    class="button"
                    href={withRef(paths.repository(accountId, owner, repo, path), moved.branch)}
                    onClick={() => setMoved(null)}
                  >
                    Reload files of {moved.branch}
                  </a>
                )}
              </div>
            </div>
          ) : null}
          <div class="actions">
            <button type="submit" class="primary" disabled={busy || !tree.data}>
              Commit
            </button>
          </div>
        </form>
      </section>
    </section>
  );
}
