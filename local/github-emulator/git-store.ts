import { createHash } from 'node:crypto';

export type EntryMode = '100644' | '100755' | '040000' | '160000' | '120000';
export type TreeEntry = { name: string; mode: EntryMode; type: 'blob' | 'tree' | 'commit'; sha: string };
export type GitPerson = { name: string; email: string; date: string };
export type CommitObject = {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: GitPerson;
  committer: GitPerson;
};

export type TreeChange = {
  path: string;
  mode: EntryMode;
  type: 'blob' | 'tree' | 'commit';
  /** null deletes the path. */
  sha: string | null;
};

function hashObject(type: string, body: Buffer): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]))
    .digest('hex');
}

/** Git orders tree entries by name, comparing a subtree's name as if it ended with "/". */
function gitOrder(a: TreeEntry, b: TreeEntry): number {
  const key = (entry: TreeEntry) => (entry.type === 'tree' ? `${entry.name}/` : entry.name);
  return Buffer.compare(Buffer.from(key(a)), Buffer.from(key(b)));
}

function personLine(person: GitPerson): string {
  const seconds = Math.floor(new Date(person.date).getTime() / 1000);
  return `${person.name} <${person.email}> ${seconds} +0000`;
}

/**
 * A repository's git objects with real git hashing (blob, tree and commit SHAs are what git computes),
 * so SHAs the emulator returns behave like GitHub's.
 */
export class GitRepository {
  readonly blobs = new Map<string, Buffer>();
  readonly trees = new Map<string, TreeEntry[]>();
  readonly commits = new Map<string, CommitObject>();
  readonly refs = new Map<string, string>();

  isEmpty(): boolean {
    return this.refs.size === 0;
  }

  putBlob(content: Buffer): string {
    const sha = hashObject('blob', content);
    this.blobs.set(sha, content);
    return sha;
  }

  putTree(entries: TreeEntry[]): string {
    const sorted = [...entries].sort(gitOrder);
    const body = Buffer.concat(
      sorted.map((entry) =>
        Buffer.concat([
          Buffer.from(`${entry.mode === '040000' ? '40000' : entry.mode} ${entry.name}\0`),
          Buffer.from(entry.sha, 'hex'),
        ]),
      ),
    );
    const sha = hashObject('tree', body);
    this.trees.set(sha, sorted);
    return sha;
  }

  /** Applies path changes (nested paths create subtrees) on top of `baseTree`, as POST /git/trees does. */
  buildTree(baseTree: string | undefined, changes: TreeChange[]): string {
    const entries = new Map<string, TreeEntry>();
    for (const entry of baseTree ? (this.trees.get(baseTree) ?? []) : []) entries.set(entry.name, entry);
    const nested = new Map<string, TreeChange[]>();
    for (const change of changes) {
      const [head, ...rest] = change.path.split('/');
      if (!head) continue;
      if (rest.length > 0) {
        nested.set(head, [...(nested.get(head) ?? []), { ...change, path: rest.join('/') }]);
      } else if (change.sha === null) {
        entries.delete(head);
      } else {
        entries.set(head, { name: head, mode: change.mode, type: change.type, sha: change.sha });
      }
    }
    for (const [name, subChanges] of nested) {
      const existing = entries.get(name);
      const subtree = this.buildTree(existing?.type === 'tree' ? existing.sha : undefined, subChanges);
      if ((this.trees.get(subtree) ?? []).length === 0) entries.delete(name);
      else entries.set(name, { name, mode: '040000', type: 'tree', sha: subtree });
    }
    return this.putTree([...entries.values()]);
  }

  putCommit(input: Omit<CommitObject, 'sha'>): CommitObject {
    const lines = [`tree ${input.tree}`, ...input.parents.map((parent) => `parent ${parent}`)];
    lines.push(
      `author ${personLine(input.author)}`,
      `committer ${personLine(input.committer)}`,
      '',
      input.message,
    );
    const sha = hashObject('commit', Buffer.from(lines.join('\n')));
    const commit = { ...input, sha };
    this.commits.set(sha, commit);
    return commit;
  }

  /** What is at `path` in the tree of `commitSha`. */
  resolvePath(
    commitSha: string,
    path: string,
  ):
    | { kind: 'blob'; sha: string; content: Buffer }
    | { kind: 'tree'; sha: string; entries: TreeEntry[] }
    | undefined {
    const commit = this.commits.get(commitSha);
    if (!commit) return undefined;
    let treeSha = commit.tree;
    const parts = path.split('/').filter(Boolean);
    for (let index = 0; index < parts.length; index++) {
      const entry = this.trees.get(treeSha)?.find((candidate) => candidate.name === parts[index]);
      if (!entry) return undefined;
      if (index === parts.length - 1 && entry.type === 'blob') {
        const content = this.blobs.get(entry.sha);
        return content ? { kind: 'blob', sha: entry.sha, content } : undefined;
      }
      if (entry.type !== 'tree') return undefined;
      treeSha = entry.sha;
    }
    return { kind: 'tree', sha: treeSha, entries: this.trees.get(treeSha) ?? [] };
  }

  /** The entry at `path` under the tree `treeSha` (undefined when nothing is there). */
  entryAt(treeSha: string | undefined, path: string): TreeEntry | undefined {
    let entries = treeSha ? (this.trees.get(treeSha) ?? []) : [];
    const parts = path.split('/').filter(Boolean);
    for (let index = 0; index < parts.length; index++) {
      const entry = entries.find((candidate) => candidate.name === parts[index]);
      if (!entry || index === parts.length - 1) return entry;
      if (entry.type !== 'tree') return undefined;
      entries = this.trees.get(entry.sha) ?? [];
    }
    return undefined;
  }

  /** Commits reachable from `sha`, newest first (first-parent order is enough here). */
  history(sha: string): CommitObject[] {
    const seen = new Set<string>();
    const out: CommitObject[] = [];
    const queue = [sha];
    while (queue.length) {
      const next = queue.shift();
      if (!next || seen.has(next)) continue;
      seen.add(next);
      const commit = this.commits.get(next);
      if (!commit) continue;
      out.push(commit);
      queue.push(...commit.parents);
    }
    return out;
  }
}
