import { GitHubError, notFound } from '../errors.js';
import type { TreeEntry } from '../git-store.js';
import { json, type Route } from '../http.js';
import { GITHUB_TREE_LIMITS, type EmulatedRepository } from '../world.js';
import { accessRepository } from './repository-access.js';

/**
 * What `tree_sha` names, as GitHub resolves it: a tree or commit SHA, `HEAD` (the default branch), or a
 * branch or tag name (a branch wins over a tag of the same name), full `refs/…` names included.
 */
function resolveTree(repo: EmulatedRepository, name: string): string | undefined {
  const { git } = repo;
  if (git.trees.has(name)) return name;
  const commitTree = (sha: string | undefined) => (sha ? git.commits.get(sha)?.tree : undefined);
  if (git.commits.has(name)) return commitTree(name);
  const refName = name === 'HEAD' ? repo.defaultBranch : name;
  const candidates = refName.startsWith('refs/')
    ? [refName]
    : [`refs/heads/${refName}`, `refs/tags/${refName}`];
  for (const candidate of candidates) {
    const tree = commitTree(git.refs.get(candidate));
    if (tree) return tree;
  }
  return undefined;
}

type Listed = { path: string; entry: TreeEntry };

/** Every entry below `treeSha` in Git's order (a directory, then what is in it). */
function* walk(repo: EmulatedRepository, treeSha: string, prefix: string): Generator<Listed> {
  for (const entry of repo.git.trees.get(treeSha) ?? []) {
    const path = `${prefix}${entry.name}`;
    yield { path, entry };
    if (entry.type === 'tree') yield* walk(repo, entry.sha, `${path}/`);
  }
}

/**
 * `GET /repos/{owner}/{repo}/git/trees/{tree_sha}` (with `recursive`: any value lists the whole tree),
 * `GET /repos/{owner}/{repo}/git/blobs/{file_sha}` and `GET /repos/{owner}/{repo}/branches/{branch}`, plus a control route that lowers the
 * recursive-tree limits so a test can see `truncated: true` on a small tree.
 */
export function gitTreeRoutes(): Route[] {
  return [
    {
      method: 'GET',
      // `+`: branch names may hold slashes (`feature/x`), as GitHub accepts them here.
      template: '/repos/{owner}/{repo}/git/trees/{tree_sha+}',
      kind: 'rest',
      handle: (request, context) => {
        const { repo } = accessRepository(request, context, 'contents', 'read');
        if (repo.git.isEmpty()) throw new GitHubError(409, 'Git Repository is empty.');
        const sha = resolveTree(repo, request.params.tree_sha ?? '');
        if (!sha) throw notFound();
        const owner = context.world.account(repo.ownerId).login;
        const base = `${context.baseUrl()}/repos/${owner}/${repo.name}`;
        // GitHub: the parameter's presence turns recursion on, whatever its value ("0" and "false" too).
        const recursive = request.url.searchParams.has('recursive');
        const listed: Listed[] = recursive
          ? [...walk(repo, sha, '')]
          : (repo.git.trees.get(sha) ?? []).map((entry) => ({ path: entry.name, entry }));
        const tree = [];
        let bytes = 0;
        let truncated = false;
        for (const { path, entry } of listed) {
          const item = {
            path,
            mode: entry.mode,
            type: entry.type,
            sha: entry.sha,
            ...(entry.type === 'blob' ? { size: repo.git.blobs.get(entry.sha)?.length ?? 0 } : {}),
            url: `${base}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`,
          };
          bytes += JSON.stringify(item).length + 1;
          if (
            recursive &&
            (tree.length >= context.world.treeLimits.maxEntries || bytes > context.world.treeLimits.maxBytes)
          ) {
            truncated = true;
            break;
          }
          tree.push(item);
        }
        return json(200, { sha, url: `${base}/git/trees/${sha}`, tree, truncated });
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/git/blobs/{file_sha}',
      kind: 'rest',
      handle: (request, context) => {
        const { repo } = accessRepository(request, context, 'contents', 'read');
        const sha = request.params.file_sha ?? '';
        const content = repo.git.blobs.get(sha);
        if (!content) throw notFound();
        const { url } = context.serializer.blob(repo, sha);
        return json(200, {
          sha,
          node_id: context.serializer.nodeId('Blob', sha),
          size: content.length,
          url,
          // GitHub wraps base64 at 60 characters, as the contents API does.
          content: (content.toString('base64').match(/.{1,60}/g) ?? []).join('\n') + '\n',
          encoding: 'base64',
        });
      },
    },
    {
      // A branch with its head commit (and so its tree) in one answer; unprotected, as the emulator has no protection.
      method: 'GET',
      template: '/repos/{owner}/{repo}/branches/{branch+}',
      kind: 'rest',
      handle: (request, context) => {
        const { repo } = accessRepository(request, context, 'contents', 'read');
        const name = request.params.branch ?? '';
        const sha = repo.git.refs.get(`refs/heads/${name}`);
        const commit = sha ? repo.git.commits.get(sha) : undefined;
        if (!commit) throw new GitHubError(404, 'Branch not found');
        const owner = context.world.account(repo.ownerId).login;
        const url = `${context.baseUrl()}/repos/${owner}/${repo.name}/branches/${name}`;
        return json(200, {
          name,
          commit: context.serializer.commit(repo, commit),
          _links: { self: url, html: `${context.baseUrl()}/${owner}/${repo.name}/tree/${name}` },
          protected: false,
          protection: {
            enabled: false,
            required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] },
          },
          protection_url: `${url}/protection`,
        });
      },
    },
    {
      method: 'PUT',
      template: '/_emulator/limits/trees',
      kind: 'admin',
      handle: (request, context) => {
        const limits = context.world.treeLimits;
        const next = { ...limits };
        for (const key of ['maxEntries', 'maxBytes'] as const) {
          const value = request.body?.[key];
          if (value === undefined) continue;
          if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
            throw new GitHubError(400, `${key} must be a positive integer`);
          next[key] = value;
        }
        Object.assign(limits, next);
        return json(200, limits);
      },
    },
    {
      method: 'DELETE',
      template: '/_emulator/limits/trees',
      kind: 'admin',
      handle: (_request, context) => {
        Object.assign(context.world.treeLimits, GITHUB_TREE_LIMITS);
        return json(200, context.world.treeLimits);
      },
    },
  ];
}
