import { RequestError } from '@octokit/request-error';
import { requireMember } from '../shared/accounts/membership.js';
import { getUserTokens } from '../shared/auth/context.js';
import type { Caller } from '../shared/auth/sessions.js';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UpstreamError,
} from '../shared/errors.js';
import { domainEvent, type EventOrigin } from '../shared/events/domain-event.js';
import { requestOrigin } from '../shared/events/request-origin.js';
import {
  installationTokenSession,
  peekInstallationToken,
  RepositoryNotReachableError,
  type TokenScope,
} from '../shared/github/app-auth.js';
import {
  grantsWorkflows,
  touchesWorkflows,
  workflowsPermissionMissing,
  workflowsRefusal,
} from '../shared/git/workflows.js';
import { toUpstreamError } from '../shared/github/github.js';
import { inScope } from '../shared/installations/repository-scope.js';
import { ssoRequired } from '../shared/github/sso.js';
import { logger } from '../shared/logger.js';
import { getServices } from '../shared/services.js';
import type { InstallationDetails, Link } from '../shared/store/installation-store.js';
import type {
  RepoCreationStore,
  CreatedRepository,
  CreationLease,
} from '../shared/store/repo-creation-store.js';
import { checkCreationPolicy } from './creation-policy.js';
import {
  commitOnPlaceholder,
  isGitHubStatus,
  looksLikePlaceholder,
  readCommit,
  readHeadCommit,
  repositoryChanged,
  type Branch,
} from './initial-commit.js';
import type { RepositoryFile, RepositoryRequest, RepositoryTemplate } from './repository-request.js';

/*
 * An organisation's repository is made with two installation tokens, narrowed differently
 * (docs/repository-scope.md, "Tokens"):
 * - the creation call's: GitHub cannot narrow a token to a repository that does not exist yet, and
 *   does not document that a token narrowed to other repositories may create one, so this one token
 *   names no repository (it reaches the installation's). It is narrowed in permissions instead: what
 *   creating asks for and nothing else, no contents write, and nothing but the creation (and, when
 *   GitHub refuses to generate, a read of the template) is done with it;
 * - everything after (placeholder, initial commit, reads of the new repository, a retry's look at an
 *   earlier attempt's repository): a token narrowed to the new repository alone.
 */

/** POST /orgs/{org}/repos. */
const CREATION_SCOPE: TokenScope = { permissions: { administration: 'write', metadata: 'read' } };
/** POST /repos/{template_owner}/{template_repo}/generate reads the template's contents too. */
const GENERATION_SCOPE: TokenScope = {
  permissions: { administration: 'write', contents: 'read', metadata: 'read' },
};
const creationScopeOf = (request: RepositoryRequest) =>
  request.template ? GENERATION_SCOPE : CREATION_SCOPE;

/**
 * What the calls on the new repository need: its files committed (contents write, and workflows write
 * only for files under .github/workflows/), or, without files, reading it. The same permissions as a
 * commit's (functions/repositories), so the account's first commit finds this token in the cache.
 */
function repositoryPermissions(files: RepositoryFile[]): TokenScope['permissions'] {
  if (files.length === 0) return { metadata: 'read' };
  return touchesWorkflows(files.map((file) => file.path))
    ? { contents: 'write', workflows: 'write' }
    : { contents: 'write' };
}

/** A repository the account does not reach (or whose name its link's scope leaves out): nothing told apart. */
const repositoryNotFound = () =>
  new NotFoundError(
    'repository_not_found',
    'No such repository is reachable through the installations linked to this account.',
  );

/** As GitHub's refusal to mint it would say, before anything is created that the files could not go on. */
const contentsWriteMissing = () =>
  new ForbiddenError(
    'insufficient_installation_permissions',
    "The App's installation does not grant contents:write, which the initial files need. Accept the App's requested permissions on GitHub.",
  );

const templateNotFound = (name: string) =>
  new NotFoundError(
    'template_not_found',
    `No template repository ${name} that can be used here: it must be public, or (organisations) in the same organisation within the installation's repositories, or (personal accounts) reachable by you through the App.`,
  );

/**
 * A template in the GitHub account of one of the account's linked installations must be in that link's
 * scope (docs/repository-scope.md): out of it, it is answered as a template the account cannot reach,
 * before GitHub is asked. Templates elsewhere (a public one) are GitHub's to allow, as before. The
 * target installation's account is known already; another linked one costs one read of the details,
 * only then.
 */
async function assertTemplateInScope(
  template: RepositoryTemplate,
  target: InstallationDetails,
  links: readonly Link[],
): Promise<void> {
  const owner = template.owner.toLowerCase();
  const scopeOf = (installationId: number) =>
    links.find((link) => link.installationId === installationId)?.scope ?? null;
  let owning: InstallationDetails | undefined =
    target.accountLogin.toLowerCase() === owner ? target : undefined;
  if (!owning) {
    const others = links.filter((link) => link.installationId !== target.id && link.scope !== null);
    // Only a scoped link can leave a template out: with none, there is nothing to read.
    if (others.length === 0) return;
    const details = await getServices().installations.getManyDetails(
      others.map((link) => link.installationId),
    );
    owning = details.find((candidate) => candidate.accountLogin.toLowerCase() === owner);
  }
  if (owning && !inScope(scopeOf(owning.id), template.repo))
    throw templateNotFound(`${template.owner}/${template.repo}`);
}

/** Runs GitHub calls as whoever may create in the target account: the App (org) or the user (personal). */
type Actor = <T>(call: (token: string) => Promise<T>) => Promise<T>;

type GitHubRepository = {
  /** Octokit's types allow a bigint; GitHub's repository ids are JSON numbers. */
  id: number | bigint;
  private: boolean;
  full_name: string;
  html_url: string;
  default_branch: string;
  name: string;
  owner: { login: string };
  template_repository?: { full_name: string } | null;
};

function isNameTaken(error: unknown): boolean {
  if (!(error instanceof RequestError) || error.status !== 422) return false;
  const errors = (error.response?.data as { errors?: Array<{ message?: string }> } | undefined)?.errors ?? [];
  return errors.some((entry) => /already exists/i.test(entry.message ?? ''));
}

/** Who makes the calls of one creation, by phase (the comment at the top of this file). */
type Actors = {
  /** The creation call (and a read of the template when GitHub refuses to generate from it). */
  create: Actor;
  /** Everything on the new repository once it exists: placeholder, initial commit, reads. */
  repository: Actor;
  /** Whether a repository of that name exists already (another request's attempt), read-only. */
  lookup: Actor;
};

/**
 * GitHub may need a moment before a token can be narrowed to a repository it has just created; a
 * narrowed mint refused for that is tried again a few times (nothing is done in between).
 */
function onNewRepository(act: Actor): Actor {
  return async (call) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await act(call);
      } catch (error) {
        if (!(error instanceof RepositoryNotReachableError) || attempt >= 2) throw error;
        await new Promise((resolve) => setTimeout(resolve, 300 * (attempt + 1)));
      }
    }
  };
}

async function actorsFor(
  caller: Caller,
  details: InstallationDetails,
  request: RepositoryRequest,
  peeked: string | undefined,
): Promise<Actors> {
  if (details.accountType === 'Organization') {
    // Each token is read (or peeked, or minted) once, when first used, for all of its phase's calls.
    const repositoryNames = [request.name.toLowerCase()];
    return {
      create: installationTokenSession(details.id, creationScopeOf(request), peeked),
      repository: onNewRepository(
        installationTokenSession(details.id, {
          permissions: repositoryPermissions(request.files),
          repositoryNames,
        }),
      ),
      lookup: installationTokenSession(details.id, { permissions: { metadata: 'read' }, repositoryNames }),
    };
  }
  // GitHub does not let an installation token create a repository on a personal account: only the
  // account's owner, with their own user token, can (for every phase: a user token cannot be narrowed).
  if (caller.userId !== details.accountId) {
    throw new ForbiddenError(
      'personal_account_owner_only',
      `Repositories in the personal account ${details.accountLogin} can only be created by ${details.accountLogin}: GitHub lets neither the App nor anyone else create them.`,
    );
  }
  const tokens = await getUserTokens();
  const act: Actor = (call) => tokens.withToken(caller.userId, call);
  return { create: act, repository: act, lookup: act };
}

/**
 * The placeholder the files go on top of (with the head, if it was read just now), or the finished
 * result of an identical request.
 */
type Base = { placeholder: string; head?: string; placeholderTree?: string } | { done: CreatedRepository };

/**
 * The placeholder commit of this creation: as recorded right after the repository was created or, if
 * it never was (a crash or a failed read in between), the branch head when it looks like `auto_init`'s
 * commit (see looksLikePlaceholder) and then recorded. Anything else: 409 repository_changed.
 */
async function placeholderOf(
  branch: Branch,
  creations: RepoCreationStore,
  claim: readonly [string, number, string],
  requestHash: string,
  /** True when this request has just taken the creation afresh: nothing is recorded yet to read. */
  bare: boolean,
): Promise<Base> {
  const recorded = bare ? undefined : await creations.get(...claim);
  if (recorded?.requestHash === requestHash) {
    if (recorded.status === 'created') return { done: recorded.result };
    if (recorded.placeholderSha) return { placeholder: recorded.placeholderSha };
  }
  const head = await readHeadCommit(branch);
  if (!looksLikePlaceholder(head)) throw repositoryChanged(branch);
  const after = await creations.recordPlaceholder(...claim, requestHash, head.sha);
  if (after?.status === 'created') return { done: after.result };
  if (after?.placeholderSha) {
    return after.placeholderSha === head.sha
      ? { placeholder: head.sha, head: head.sha, placeholderTree: head.tree }
      : { placeholder: after.placeholderSha, head: head.sha };
  }
  throw new ConflictError('creation_in_progress', `Another request took over creating ${branch.fullName}.`);
}

/**
 * Commits the files on the placeholder; GitHub may briefly call a just-created repository empty (and a
 * generated one stays empty until GitHub has copied the template). On a repository generated from a
 * template the files go on top of the template's tree (`onTemplate`); on `auto_init`'s they replace it.
 */
async function commitInitialFiles(
  branch: Branch,
  files: RepositoryFile[],
  creations: RepoCreationStore,
  claim: readonly [string, number, string],
  requestHash: string,
  onTemplate: boolean,
  /** Answers true once, when the creation record is known to hold no placeholder yet. */
  firstLook: () => boolean,
): Promise<{ commitSha: string } | { done: CreatedRepository }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const base = await placeholderOf(branch, creations, claim, requestHash, firstLook());
      if ('done' in base) return base;
      const baseTree = onTemplate
        ? (base.placeholderTree ?? (await readCommit(branch, base.placeholder)).tree)
        : undefined;
      return { commitSha: await commitOnPlaceholder(branch, files, base.placeholder, base.head, baseTree) };
    } catch (error) {
      // "Git Repository is empty." (409 from GitHub, not our own ConflictError).
      if (!isGitHubStatus(error, 409) || attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300 * (attempt + 1)));
    }
  }
}

/**
 * POST /accounts/{accountId}/repositories. Everything that can be checked is checked before GitHub is
 * asked to create anything; a retry of the same request after a partial failure finishes the job, and
 * never at the cost of commits the service did not make.
 */
export async function createRepository(
  caller: Caller,
  accountId: string,
  request: RepositoryRequest,
  /** The request's id (`x-request-id`): repository.created's correlationId. */
  correlationId: string,
) {
  const { accounts, installations, repoCreations: creations, github, users } = getServices();
  const claim = [accountId, request.installationId, request.name] as const;
  // Everything the decision needs, read at once (one round trip after the session's): a non-member
  // still learns nothing more than 404 account_not_found, the checks below run in the same order.
  // The installation token is peeked at too (a read, nothing minted): an organisation's creation then
  // reads the table in 2 sequential round trips in all, the session's included.
  // The caller's profile (their current login, for the event) is read beside them too.
  const [member, links, stored, existing, peeked, profile] = await Promise.all([
    requireMember(accounts, accountId, caller.userId),
    // The account's links (not only the target's): their scopes decide the name and the template.
    installations.linksOfAccount(accountId),
    installations.getDetails(request.installationId),
    creations.get(...claim),
    peekInstallationToken(request.installationId, creationScopeOf(request)).catch(() => undefined),
    users.getProfile(caller.userId),
  ]);
  const link = links.find((candidate) => candidate.installationId === request.installationId);
  const details = link ? stored : undefined;
  if (!details || !link)
    throw new NotFoundError(
      'installation_not_found',
      'No installation with that id is linked to this account.',
    );
  // The new name must fall in the link's scope (docs/repository-scope.md), as any repository the
  // account touches; checked before anything is asked of GitHub.
  if (!inScope(link.scope, request.name)) throw repositoryNotFound();
  if (request.template) await assertTemplateInScope(request.template, details, links);
  checkCreationPolicy({
    role: member.role,
    owner: { login: details.accountLogin, type: details.accountType },
    name: request.name,
    visibility: request.private ? 'private' : 'public',
  });
  if (details.suspendedAt) {
    throw new ConflictError(
      'installation_suspended',
      'The GitHub App installation is suspended: unsuspend it on GitHub first.',
    );
  }
  const workflows = touchesWorkflows(request.files.map((file) => file.path));
  // What the files need is asked of GitHub only once the repository exists (a user token cannot be
  // narrowed at all; an organisation's token for the files names the new repository): the stored
  // permissions decide first, so nothing is created that its files could not go on.
  if (workflows && !grantsWorkflows(details.permissions)) throw workflowsPermissionMissing();
  if (
    request.files.length > 0 &&
    details.accountType === 'Organization' &&
    details.permissions.contents !== 'write'
  )
    throw contentsWriteMissing();
  const actors = await actorsFor(caller, details, request, peeked);
  const inProgress = () =>
    new ConflictError(
      'creation_in_progress',
      `A repository named ${request.name} is being created right now. Send the same request again in a minute.`,
    );

  if (existing?.status === 'created') {
    if (existing.requestHash === request.hash) return existing.result; // the same request, already done
    throw new ConflictError('repository_exists', `A repository named ${request.name} already exists there.`);
  }
  if (existing && existing.requestHash !== request.hash) {
    // Another request started this name; if GitHub never created it, this one may take over.
    const created = await actors
      .lookup(async (token) => {
        try {
          await github('GET /repos/{owner}/{repo}', {
            owner: details.accountLogin,
            repo: request.name,
            headers: { authorization: `token ${token}` },
          });
          return true;
        } catch (error) {
          if (isGitHubStatus(error, 404)) return false;
          throw error;
        }
      })
      .catch((error: unknown) =>
        // GitHub would not narrow a token to that name: the installation reaches no such repository.
        error instanceof RepositoryNotReachableError ? false : rethrowUpstream(error),
      );
    if (created)
      throw new ConflictError(
        'repository_exists',
        `A repository named ${request.name} already exists there.`,
      );
    if (!(await creations.abandonIdle(...claim, existing.requestHash))) throw inProgress();
  }
  // One request works on a creation at a time; identical requests arriving meanwhile get a clear 409.
  const lease = await creations.acquire(...claim, request.hash);
  if (!lease) {
    const now = await creations.get(...claim);
    if (now?.status === 'created' && now.requestHash === request.hash) return now.result;
    throw inProgress();
  }
  const origin = requestOrigin(
    { requestId: correlationId },
    // A member always has a profile (signed in); the membership's copy of the login is the fallback.
    { id: caller.userId, login: profile?.login ?? member.login },
  );
  try {
    return await createHoldingLease({ request, details, actors, creations, claim, lease, accountId, origin });
  } catch (error) {
    await creations.release(...claim, lease).catch((release: unknown) => {
      logger.warn('Could not release a repository creation', { error: release });
    });
    throw workflowsRefusal(error, workflows ? details.permissions : undefined) ?? error;
  }
}

type Creation = {
  request: RepositoryRequest;
  details: InstallationDetails;
  actors: Actors;
  creations: RepoCreationStore;
  claim: readonly [string, number, string];
  lease: CreationLease;
  accountId: string;
  /** Who creates it, and the request (repository.created). */
  origin: EventOrigin;
};

/** With the creation's lease held: the repository on GitHub, its initial files, the record finished. */
async function createHoldingLease(creation: Creation): Promise<CreatedRepository> {
  const { request, creations, claim, lease, details, accountId, origin } = creation;
  // A lease taken afresh (not resumed) has recorded no placeholder yet: the first look needs no read.
  let fresh = !lease.resumed;
  const firstLook = () => {
    const was = fresh;
    fresh = false;
    return was;
  };
  let repo: GitHubRepository;
  try {
    repo = await createOnGitHub(creation);
  } catch (error) {
    repo = await afterCreateRefused(creation, error);
  }
  let commitSha: string | null = null;
  if (request.files.length > 0) {
    const outcome = await commitFiles(creation, repo, firstLook);
    if ('done' in outcome) return outcome.done;
    commitSha = outcome.commitSha;
  }
  const result: CreatedRepository = {
    fullName: repo.full_name,
    htmlUrl: repo.html_url,
    defaultBranch: repo.default_branch,
    commitSha,
  };
  // The creation is recorded done with its event: a retry that finds it done answers from the record,
  // and writes no second event.
  const created = domainEvent('repository.created', origin, [accountId], {
    repository: { id: Number(repo.id), owner: repo.owner.login, name: repo.name, installationId: details.id },
    private: repo.private,
    defaultBranch: repo.default_branch,
  });
  await creations.finish(...claim, request.hash, result, [created]);
  return result;
}

/** The repository, generated from the template or created (with a placeholder commit for the files). */
function createOnGitHub({ request, details, actors }: Creation): Promise<GitHubRepository> {
  const { github } = getServices();
  return actors.create(async (token) => {
    const headers = { authorization: `token ${token}` };
    if (request.template) {
      // GitHub gives the new repository one "Initial commit" with the template's files: the
      // placeholder the given files go on, exactly as auto_init's commit is below.
      const { data } = await github('POST /repos/{template_owner}/{template_repo}/generate', {
        template_owner: request.template.owner,
        template_repo: request.template.repo,
        owner: details.accountLogin,
        name: request.name,
        ...(request.description !== undefined ? { description: request.description } : {}),
        private: request.private,
        include_all_branches: request.template.includeAllBranches,
        headers,
      });
      return data;
    }
    const fields = {
      name: request.name,
      ...(request.description !== undefined ? { description: request.description } : {}),
      private: request.private,
      // The git data API refuses an empty repository; auto_init gives it a placeholder commit.
      auto_init: request.files.length > 0,
      headers,
    };
    const { data } =
      details.accountType === 'Organization'
        ? await github('POST /orgs/{org}/repos', { org: details.accountLogin, ...fields })
        : await github('POST /user/repos', fields);
    return data;
  });
}

/**
 * GitHub refused the creation: our own earlier attempt's repository (a resumed lease) to carry on
 * with, or the refusal as the caller's error (the record abandoned when nothing of this request exists).
 */
async function afterCreateRefused(creation: Creation, error: unknown): Promise<GitHubRepository> {
  const { request, details, actors, creations, claim, lease } = creation;
  const abandon = () => creations.abandon(...claim, lease);
  const nameTaken = () =>
    new ConflictError(
      'repository_exists',
      `A repository named ${request.name} already exists in ${details.accountLogin}.`,
    );
  if (request.template && isGitHubStatus(error, 404)) {
    // GitHub answers 404 alike for a template the actor cannot read and for a repository that is not
    // a template; only the failure path pays for telling them apart.
    const problem = await templateProblem(actors.create, request.template);
    if (problem) {
      await abandon();
      throw problem;
    }
    return rethrowUpstream(error);
  }
  if (request.template && isGitHubStatus(error, 409)) {
    // "Git Repository is empty.": a template without a commit has nothing to generate from.
    await abandon();
    throw new ConflictError(
      'template_empty',
      `The template ${request.template.owner}/${request.template.repo} has no commits yet: there is nothing to create from.`,
    );
  }
  if (isNameTaken(error) && lease.resumed) {
    // Our own earlier attempt created it; carry on from there.
    const { github } = getServices();
    const repo = await actors
      .repository(async (token) => {
        const { data } = await github('GET /repos/{owner}/{repo}', {
          owner: details.accountLogin,
          repo: request.name,
          headers: { authorization: `token ${token}` },
        });
        return data;
      })
      .catch(rethrowUpstream);
    if (request.template && !fromTemplate(repo, request.template)) {
      // Someone else's repository took the name meanwhile: nothing of this request's exists.
      await abandon();
      throw nameTaken();
    }
    return repo;
  }
  if (isNameTaken(error)) {
    await abandon();
    throw nameTaken();
  }
  if (isGitHubStatus(error, 422)) {
    await abandon();
    throw new BadRequestError('invalid_name', `GitHub refused the repository: ${error.message}`);
  }
  return rethrowUpstream(error);
}

/** The request's files on the repository's placeholder commit (initial-commit.ts), or why not. */
async function commitFiles(
  { request, actors, creations, claim }: Creation,
  repo: GitHubRepository,
  firstLook: () => boolean,
): Promise<Awaited<ReturnType<typeof commitInitialFiles>>> {
  const { github } = getServices();
  try {
    return await actors.repository((token) =>
      commitInitialFiles(
        {
          github,
          token,
          owner: repo.owner.login,
          repo: repo.name,
          fullName: repo.full_name,
          name: repo.default_branch,
        },
        request.files,
        creations,
        claim,
        request.hash,
        request.template !== undefined,
        firstLook,
      ),
    );
  } catch (error) {
    throw initialCommitFailed(error, repo);
  }
}

/** The repository exists but its files are not committed: the answer says so, and a retry finishes. */
function initialCommitFailed(error: unknown, repo: GitHubRepository): unknown {
  const upstream = toUpstreamError(error);
  if (!upstream && !(error instanceof RequestError) && !(error instanceof RepositoryNotReachableError))
    return error;
  const refusal = workflowsRefusal(error, undefined);
  if (refusal) return refusal;
  logger.warn('Repository created, initial commit failed', { repository: repo.full_name });
  const repository = { fullName: repo.full_name, htmlUrl: repo.html_url };
  if (error instanceof RepositoryNotReachableError) {
    // GitHub would not yet narrow a token to the repository it has just created (onNewRepository).
    return new UpstreamError(
      'commit_failed',
      `The repository ${repo.full_name} was created but GitHub does not let a token reach it yet, so its initial files are not committed. Send the same request again to finish.`,
      { statusCode: 502, details: { repository }, cause: error },
    );
  }
  if (upstream?.code === 'github_rate_limited') {
    return new UpstreamError(
      'github_rate_limited',
      `The repository ${repo.full_name} was created but GitHub is rate limiting this App, so its initial files are not committed yet. Send the same request again after Retry-After to finish.`,
      {
        statusCode: 503,
        retryAfterSeconds: Number(upstream.headers['Retry-After']),
        details: { repository },
        cause: error,
      },
    );
  }
  return new UpstreamError(
    'commit_failed',
    `The repository ${repo.full_name} was created but its initial files could not be committed. Send the same request again to finish.`,
    {
      statusCode: upstream?.statusCode ?? 502,
      ...(upstream?.headers['Retry-After']
        ? { retryAfterSeconds: Number(upstream.headers['Retry-After']) }
        : {}),
      details: { repository },
      cause: error,
    },
  );
}

function fromTemplate(repo: GitHubRepository, template: RepositoryTemplate): boolean {
  const expected = `${template.owner}/${template.repo}`.toLowerCase();
  return repo.template_repository?.full_name.toLowerCase() === expected;
}

/**
 * Why generating from `template` failed with 404, as the actor sees it: a repository they cannot read
 * (or none) → 404 template_not_found; one that is not marked as a template → 400 not_a_template.
 * Undefined when the template is fine (the 404 was about something else).
 */
async function templateProblem(act: Actor, template: RepositoryTemplate) {
  const { github } = getServices();
  const name = `${template.owner}/${template.repo}`;
  const isTemplate = await act(async (token) => {
    try {
      const { data } = await github('GET /repos/{owner}/{repo}', {
        owner: template.owner,
        repo: template.repo,
        headers: { authorization: `token ${token}` },
      });
      return data.is_template === true;
    } catch (error) {
      if (isGitHubStatus(error, 404)) return undefined;
      throw error;
    }
  }).catch(rethrowUpstream);
  if (isTemplate === undefined) return templateNotFound(name);
  if (!isTemplate) {
    return new BadRequestError(
      'not_a_template',
      `${name} is not a template repository: mark it as one in its settings on GitHub ("Template repository") first.`,
    );
  }
  return undefined;
}

/**
 * GitHub failures the caller can act on keep their meaning; the rest become 502/503. A 403 here means
 * the installation does not allow it (permissions not accepted), a 404 that GitHub no longer knows
 * the account or repository by that name.
 */
function rethrowUpstream(error: unknown): never {
  const upstream = toUpstreamError(error);
  if (upstream) throw upstream;
  const sso = ssoRequired(error);
  if (sso) throw sso;
  if (isGitHubStatus(error, 403)) {
    throw new ForbiddenError(
      'github_forbidden',
      `GitHub refused: ${error.message.split(' - ')[0] ?? 'forbidden'}. Check the App's permissions on that account.`,
    );
  }
  // A token could not be narrowed to the repository: GitHub does not let the installation reach it.
  if (isGitHubStatus(error, 404) || error instanceof RepositoryNotReachableError) {
    throw new UpstreamError(
      'github_not_found',
      'GitHub does not know that account or repository any more (renamed or removed?).',
      {
        statusCode: 502,
        cause: error,
      },
    );
  }
  throw error;
}
