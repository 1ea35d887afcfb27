import { json, stringField, type Route } from '../../http.js';
import { deleteRepository, transferRepository, updateRepository } from '../../repository-changes.js';
import { sendPush } from '../../push-events.js';
import { sendRepositoryEvent } from '../../repository-events.js';
import { Webhooks } from '../../webhooks.js';
import {
  admin,
  accountOrThrow,
  bad,
  controlUpdate,
  fileContent,
  personFor,
  repositoryOrThrow,
  repositoryState,
} from './shared.js';

/**
 * The control API (docs/github-emulator.md): repositories made and changed on github.com (created with
 * files, edited, deleted, transferred), with their events.
 */
export const repositoryRoutes: Route[] = [
  // Repositories as someone would make them on github.com: `names` or `count` × `prefix`-NNNN, each with
  // one commit of `files` (path → UTF-8 content or `{ base64 }` for bytes; default a README),
  // optionally private or a template.
  admin('POST', '/users/{login}/repos', async (request, context) => {
    const owner = accountOrThrow(context, request.params.login);
    const body = request.body ?? {};
    const count = typeof body.count === 'number' ? body.count : undefined;
    const prefix = stringField(body, 'prefix') ?? 'repo';
    const names = Array.isArray(body.names)
      ? body.names.map(String)
      : count !== undefined && Number.isInteger(count) && count > 0 && count <= 5000
        ? Array.from({ length: count }, (_, index) => `${prefix}-${String(index + 1).padStart(4, '0')}`)
        : undefined;
    if (!names || names.length === 0) throw bad('names (a list) or count (1 to 5000) is required');
    const files =
      typeof body.files === 'object' && body.files !== null && !Array.isArray(body.files)
        ? Object.fromEntries(
            Object.entries(body.files).map(([path, content]) => [path, fileContent(content)]),
          )
        : undefined;
    for (const name of names) {
      if (!/^[A-Za-z0-9._-]{1,100}$/.test(name) || context.world.repository(owner.login, name))
        throw bad(`${owner.login}/${name}: invalid or taken name`);
    }
    const sender = personFor(context, owner, body.by);
    const repos = names.map((name) => {
      const repo = context.world.createRepository({
        ownerId: owner.id,
        name,
        description: stringField(body, 'description') ?? null,
        private: body.private === true,
        isTemplate: body.isTemplate === true,
      });
      context.world.commitFiles(repo, files ?? { 'README.md': `# ${name}\n` }, 'Initial commit');
      return repo;
    });
    // Events once all exist (the App only hears of them if its installation reaches them).
    for (const repo of repos) await sendRepositoryEvent(context, { action: 'created', repo, sender });
    return json(201, {
      repositories: repos.map((repo) => ({ id: repo.id, fullName: `${owner.login}/${repo.name}` })),
    });
  }),
  // A commit pushed to a branch (`branch`, default the default branch; created if absent) by a person
  // (`by`, else the owner): `files` path → content (UTF-8, `{ base64 }`, or null to delete), `message`.
  // GitHub's `push` goes to every installation subscribed to it (push-events.ts).
  admin('POST', '/repos/{owner}/{repo}/commits', async (request, context) => {
    const repo = repositoryOrThrow(context, request);
    const body = request.body ?? {};
    if (typeof body.files !== 'object' || body.files === null || Array.isArray(body.files))
      throw bad('files (path → content, or null to delete) is required');
    const files = Object.fromEntries(
      Object.entries(body.files as Record<string, unknown>).map(([path, content]) => [
        path,
        content === null ? null : fileContent(content),
      ]),
    );
    const branch = stringField(body, 'branch') ?? repo.defaultBranch;
    const ref = `refs/heads/${branch}`;
    const author = personFor(context, context.world.account(repo.ownerId), body.by);
    const before = repo.git.refs.get(ref) ?? null;
    const sha = context.world.commitFiles(repo, files, stringField(body, 'message') ?? 'Update files', {
      branch,
      author,
    });
    const deliveries = await sendPush(context, { repo, ref, before, after: sha, sender: author });
    return json(201, {
      sha,
      before,
      ref,
      deliveries: deliveries.map((delivery) => Webhooks.summary(delivery)),
    });
  }),
  // A repository changed on github.com by a person (`by`, else its owner): the same rules and events
  // as PATCH /repos/{owner}/{repo}, without a token.
  admin('PATCH', '/repos/{owner}/{repo}', async (request, context) => {
    const repo = repositoryOrThrow(context, request);
    const sender = personFor(context, context.world.account(repo.ownerId), request.body?.by);
    const deliveries = await updateRepository(context, repo, controlUpdate(request.body), sender);
    return json(200, {
      repository: repositoryState(context, repo),
      deliveries: deliveries.map((delivery) => Webhooks.summary(delivery)),
    });
  }),
  admin('DELETE', '/repos/{owner}/{repo}', async (request, context) => {
    const repo = repositoryOrThrow(context, request);
    const by = request.url.searchParams.get('by') ?? undefined;
    const sender = personFor(context, context.world.account(repo.ownerId), by);
    const deliveries = await deleteRepository(context, repo, sender);
    return json(200, {
      deleted: repositoryState(context, repo),
      deliveries: deliveries.map((delivery) => Webhooks.summary(delivery)),
    });
  }),
  admin('POST', '/repos/{owner}/{repo}/transfer', async (request, context) => {
    const repo = repositoryOrThrow(context, request);
    const newOwner = accountOrThrow(context, stringField(request.body, 'newOwner'));
    const sender = personFor(context, context.world.account(repo.ownerId), request.body?.by);
    const deliveries = await transferRepository(context, repo, newOwner, sender);
    return json(200, {
      repository: repositoryState(context, repo),
      deliveries: deliveries.map((delivery) => Webhooks.summary(delivery)),
    });
  }),
];
