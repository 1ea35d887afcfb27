import type { CommitObject, GitPerson, GitRepository } from './git-store.js';
import type { EmulatorContext } from './http.js';
import {
  coversRepository,
  isApp,
  repositoryPayload,
  senderPayload,
  type RepositorySender,
} from './repository-events.js';
import type { Delivery } from './webhooks.js';
import type { EmulatedApp, EmulatedRepository } from './world.js';

/** GitHub's `before`/`after` for a ref that did not exist before, or does not any more. */
export const ZERO_SHA = '0'.repeat(40);

/** A webhook's `push` lists at most this many commits (GitHub's docs; the 20 cap is the timeline's). */
export const MAX_PUSH_COMMITS = 2048;

/** One ref moved: `before` null when it was created, `after` null when it was deleted. */
export type RefUpdate = {
  repo: EmulatedRepository;
  ref: string;
  before: string | null;
  after: string | null;
  sender: RepositorySender;
};

/**
 * Who receives a `push`, as on GitHub: each App's installation on the repository's owner that reaches
 * it, is not suspended, and is subscribed to `push`.
 */
export function pushRecipients(context: EmulatorContext, repo: EmulatedRepository) {
  return [...context.world.installations.values()].filter(
    (installation) =>
      coversRepository(installation, repo) &&
      installation.suspendedAt === null &&
      installation.events.includes('push') &&
      context.world.apps.has(installation.appId),
  );
}

/** Every blob path of a tree, with its sha. */
function flatten(
  git: GitRepository,
  treeSha: string | undefined,
  prefix = '',
  out = new Map<string, string>(),
) {
  for (const entry of treeSha ? (git.trees.get(treeSha) ?? []) : []) {
    const path = `${prefix}${entry.name}`;
    if (entry.type === 'tree') flatten(git, entry.sha, `${path}/`, out);
    else out.set(path, entry.sha);
  }
  return out;
}

/** A commit as a `push` payload lists it (webhook-push `commits[]`), with its file changes. */
function commitPayload(context: EmulatorContext, update: RefUpdate, commit: CommitObject, owner: string) {
  const { git } = update.repo;
  const parent = commit.parents[0] ? git.commits.get(commit.parents[0]) : undefined;
  const before = flatten(git, parent?.tree);
  const after = flatten(git, commit.tree);
  const person = (who: GitPerson) => ({ name: who.name, email: who.email, date: who.date });
  return {
    id: commit.sha,
    tree_id: commit.tree,
    distinct: true,
    message: commit.message,
    timestamp: commit.committer.date,
    url: `${context.baseUrl()}/${owner}/${update.repo.name}/commit/${commit.sha}`,
    author: person(commit.author),
    committer: person(commit.committer),
    added: [...after.keys()].filter((path) => !before.has(path)),
    removed: [...before.keys()].filter((path) => !after.has(path)),
    modified: [...after.keys()].filter((path) => before.has(path) && before.get(path) !== after.get(path)),
  };
}

/** The commits a push brings: reachable from `after` and not from `before`, oldest first. */
function pushedCommits(git: GitRepository, before: string | null, after: string | null): CommitObject[] {
  if (!after) return [];
  const known = new Set(before ? git.history(before).map((commit) => commit.sha) : []);
  return git
    .history(after)
    .filter((commit) => !known.has(commit.sha))
    .reverse();
}

/** Git's name and address for whoever pushed (the pusher), as GitHub writes it. */
function pusherOf(sender: RepositorySender) {
  if (isApp(sender))
    return {
      name: `${sender.slug}[bot]`,
      email: `${sender.id}+${sender.slug}[bot]@users.noreply.github.com`,
    };
  return { name: sender.login, email: sender.email ?? `${sender.login}@users.noreply.github.test` };
}

/** GitHub's `push` payload for one installation (webhook-push). */
export function pushPayload(context: EmulatorContext, update: RefUpdate, installationId: number) {
  const owner = context.world.account(update.repo.ownerId);
  const { git } = update.repo;
  const before = update.before ?? ZERO_SHA;
  const after = update.after ?? ZERO_SHA;
  const commits = pushedCommits(git, update.before, update.after).slice(-MAX_PUSH_COMMITS);
  const head = update.after ? git.commits.get(update.after) : undefined;
  const forced =
    update.before !== null &&
    update.after !== null &&
    !git.history(update.after).some((commit) => commit.sha === update.before);
  return {
    ref: update.ref,
    before,
    after,
    repository: repositoryPayload(context, update.repo),
    pusher: pusherOf(update.sender),
    ...(owner.type === 'Organization' ? { organization: context.serializer.organizationSimple(owner) } : {}),
    installation: { id: installationId, node_id: context.serializer.nodeId('Installation', installationId) },
    sender: senderPayload(context, update.sender),
    created: update.before === null,
    deleted: update.after === null,
    forced,
    base_ref: null,
    compare: `${context.baseUrl()}/${owner.login}/${update.repo.name}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: commits.map((commit) => commitPayload(context, update, commit, owner.login)),
    head_commit: head ? commitPayload(context, update, head, owner.login) : null,
  };
}

/**
 * Sends `push` for a ref that moved (REST git refs, the control API's commits) to every installation
 * that receives it, signed and delivered like every other webhook (webhooks.ts).
 */
export async function sendPush(context: EmulatorContext, update: RefUpdate): Promise<Delivery[]> {
  const prepared = pushRecipients(context, update.repo).map((installation) => ({
    app: context.world.apps.get(installation.appId) as EmulatedApp,
    payload: pushPayload(context, update, installation.id),
  }));
  const deliveries: Delivery[] = [];
  for (const { app, payload } of prepared) {
    const delivery = await context.webhooks.send(app, 'push', payload);
    if (delivery) deliveries.push(delivery);
  }
  return deliveries;
}
