import * as z from 'zod/mini';
import { BadRequestError } from '../shared/errors.js';
import { once } from '../shared/once.js';
import type { GitHubInstallation } from '../shared/installations/github-installations.js';

/**
 * The payloads the service acts on, validated from the fields the handlers use (GitHub's webhook
 * schemas, narrowed to those fields). A signed delivery that does not match is GitHub's or the
 * sender's problem, answered 400 `invalid_payload`, never a 500 from deep inside a handler.
 * Each schema is built on first use (once): a cold start builds only those of the event it receives.
 */

const id = () => z.int().check(z.positive());

/** A user, organization or enterprise: enterprises have a slug instead of a login. */
const account = once(() =>
  z
    .object({
      id: id(),
      login: z.optional(z.string().check(z.minLength(1))),
      slug: z.optional(z.string().check(z.minLength(1))),
      type: z.optional(z.string()),
      avatar_url: z.optional(z.string()),
    })
    .check(
      z.refine((value) => value.login !== undefined || value.slug !== undefined, {
        message: 'needs a login or a slug',
      }),
    ),
);

/** JavaScript's date range: ±8.64e15 ms around the epoch (beyond it, toISOString throws). */
const MAX_EPOCH_SECONDS = 8.64e12;

/** An ISO-8601 date-time as GitHub writes them (`2026-04-01T12:00:00Z`, fractions, or an offset). */
const ISO_DATE_TIME =
  /^[+-]?\d{4,6}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** A date string as sent (what is stored, and compared), refused unless it is an ISO-8601 date-time. */
const isoString = once(() =>
  z.string().check(
    z.refine((value) => ISO_DATE_TIME.test(value) && Number.isFinite(Date.parse(value)), {
      message: 'not an ISO-8601 date-time',
    }),
  ),
);

/**
 * Every date field the schemas declare: an ISO-8601 string, or (older payloads) epoch seconds within
 * JavaScript's date range, stored as ISO strings so "newer than" compares like with like. Anything
 * else (1e20, -1e17, a word) is `invalid_payload`, never a RangeError from toISOString.
 */
const timestamp = once(() =>
  z.union([
    isoString(),
    z.pipe(
      z.number().check(
        z.refine((seconds) => Number.isFinite(seconds) && Math.abs(seconds) <= MAX_EPOCH_SECONDS, {
          message: "epoch seconds outside JavaScript's date range",
        }),
      ),
      z.transform((seconds) => new Date(seconds * 1000).toISOString()),
    ),
  ]),
);

const installation = once(() =>
  z.object({
    id: id(),
    account: account(),
    app_slug: z.optional(z.string()),
    target_type: z.optional(z.string()),
    repository_selection: z.enum(['all', 'selected']),
    permissions: z.record(z.string(), z.string()),
    events: z.array(z.string()),
    suspended_at: z.optional(z.nullable(timestamp())),
    created_at: z.optional(z.nullable(timestamp())),
    updated_at: z.optional(timestamp()),
  }),
);

const INSTALLATION_ACTION_LIST = [
  'created',
  'deleted',
  'suspend',
  'unsuspend',
  'new_permissions_accepted',
] as const;

const installationEvent = once(() =>
  z.object({ action: z.enum(INSTALLATION_ACTION_LIST), installation: installation() }),
);

/** GitHub's minimal repository of `installation_repositories` (its whole object: id, name, full_name, private). */
const repositoryBrief = once(() =>
  z.object({
    id: id(),
    name: z.string().check(z.minLength(1)),
    full_name: z.string().check(z.minLength(3)),
    private: z.boolean(),
  }),
);

const installationRepositoriesEvent = once(() =>
  z.object({
    action: z.optional(z.string()),
    installation: installation(),
    repository_selection: z.enum(['all', 'selected']),
    repositories_added: z.optional(z.array(repositoryBrief())),
    repositories_removed: z.optional(z.array(repositoryBrief())),
  }),
);

const installationTargetRenamed = once(() =>
  z.object({
    account: account(),
    installation: z.object({ id: id() }),
    target_type: z.string(),
  }),
);

const authorizationRevoked = once(() =>
  z.object({ sender: z.object({ id: id(), login: z.optional(z.string().check(z.minLength(1))) }) }),
);

/** GitHub's `repository` actions (webhook-repository-*). */
const REPOSITORY_ACTIONS = [
  'created',
  'deleted',
  'archived',
  'unarchived',
  'edited',
  'renamed',
  'transferred',
  'publicized',
  'privatized',
] as const;

/** An App's delivery names its installation; a repository or organization webhook's does not. */
const repositoryEvent = once(() =>
  z.object({
    action: z.enum(REPOSITORY_ACTIONS),
    // GitHub's full repository object; the fields the index keeps beyond id and full_name are read
    // when present (a missing one is derived, as for installation_repositories' minimal repositories).
    repository: z.object({
      id: id(),
      full_name: z.string().check(z.minLength(3)),
      name: z.optional(z.string().check(z.minLength(1))),
      owner: z.optional(z.object({ id: z.optional(id()), login: z.optional(z.string()) })),
      private: z.optional(z.boolean()),
      visibility: z.optional(z.string()),
      default_branch: z.optional(z.string()),
      archived: z.optional(z.boolean()),
      html_url: z.optional(z.string()),
      created_at: z.optional(z.nullable(timestamp())),
      updated_at: z.optional(z.nullable(timestamp())),
      pushed_at: z.optional(z.nullable(timestamp())),
    }),
    installation: z.optional(z.object({ id: id() })),
  }),
);

const SHA = /^[0-9a-f]{40}$/;
const sha = () => z.string().check(z.regex(SHA));

/**
 * GitHub's `push` (webhook-push), narrowed to what `repository.pushed` reports: the commits are
 * counted, never read (GitHub lists up to 2,048 of them).
 */
const pushEvent = once(() =>
  z.object({
    ref: z.string().check(z.minLength(1)),
    before: sha(),
    after: sha(),
    compare: z.url(),
    commits: z.array(z.unknown()),
    pusher: z.object({ name: z.string().check(z.minLength(1)) }),
    repository: z.object({
      id: id(),
      full_name: z.string().check(z.regex(/^[^/]+\/[^/]+$/)),
      name: z.optional(z.string().check(z.minLength(1))),
      owner: z.optional(z.object({ login: z.optional(z.string().check(z.minLength(1))) })),
    }),
    installation: z.optional(z.object({ id: id() })),
    sender: z.optional(z.object({ login: z.optional(z.string().check(z.minLength(1))) })),
  }),
);

/** A push as `repository.pushed` reports it. */
export type PushDelivery = {
  kind: 'push';
  installationId: number | undefined;
  repository: { id: number; owner: string; name: string };
  ref: string;
  before: string;
  after: string;
  commitCount: number;
  compareUrl: string;
  pusher: { name: string; login: string | null };
};

/** A repository as an event describes it, with what the payload did not say left undefined. */
export type EventRepository = {
  id: number;
  fullName: string;
  name: string;
  owner: string;
  ownerId?: number | undefined;
  private: boolean;
  visibility?: string | undefined;
  defaultBranch?: string | undefined;
  archived?: boolean | undefined;
  htmlUrl?: string | undefined;
  updatedAt?: string | null | undefined;
};

const splitFullName = (fullName: string) => {
  const slash = fullName.indexOf('/');
  return { owner: fullName.slice(0, Math.max(0, slash)), name: fullName.slice(slash + 1) };
};

const briefRepository = (repo: z.infer<ReturnType<typeof repositoryBrief>>): EventRepository => ({
  id: repo.id,
  fullName: repo.full_name,
  name: repo.name,
  owner: splitFullName(repo.full_name).owner,
  private: repo.private,
});

export type RepositoryAction = (typeof REPOSITORY_ACTIONS)[number];

export type InstallationAction = (typeof INSTALLATION_ACTION_LIST)[number];

/** A delivery the service acts on, with only the fields it uses. */
export type HandledDelivery =
  | { kind: 'installation'; action: InstallationAction; installation: GitHubInstallation }
  | {
      kind: 'installation_repositories';
      installation: GitHubInstallation;
      repositorySelection: 'all' | 'selected';
      added: EventRepository[];
      removed: EventRepository[];
    }
  | {
      kind: 'installation_target.renamed';
      installationId: number;
      accountId: number;
      login: string;
      targetType: string;
    }
  | { kind: 'github_app_authorization.revoked'; userId: number; login: string | undefined }
  | {
      kind: 'repository';
      action: RepositoryAction;
      installationId: number | undefined;
      repositoryId: number;
      fullName: string;
      repository: EventRepository;
    }
  | PushDelivery;

/** Names the fields that are wrong (paths, never values): for the answer, the log and the record. */
export class InvalidPayloadError extends BadRequestError {
  constructor(
    readonly event: string,
    readonly fields: readonly string[],
  ) {
    super('invalid_payload', `The ${event} payload is malformed at: ${fields.join(', ')}.`);
  }
}

function parse<T>(schema: z.ZodMiniType<T>, event: string, payload: unknown): T {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
  throw new InvalidPayloadError(event, fields);
}

const toInstallation = (value: z.infer<ReturnType<typeof installation>>): GitHubInstallation => ({
  ...value,
  app_slug: value.app_slug ?? '',
  target_type: value.target_type ?? value.account.type ?? 'User',
  suspended_at: value.suspended_at ?? null,
});

const INSTALLATION_ACTIONS: ReadonlySet<string> = new Set(INSTALLATION_ACTION_LIST);

/**
 * The delivery to act on, or undefined for an event or action the service does not handle (recorded
 * as ignored). Throws InvalidPayloadError when a handled one lacks or mistypes a field it needs.
 */
export function parseDelivery(event: string, payload: Record<string, unknown>): HandledDelivery | undefined {
  const action = payload.action;
  if (action !== undefined && typeof action !== 'string') throw new InvalidPayloadError(event, ['action']);
  switch (event) {
    case 'installation': {
      if (action === undefined || !INSTALLATION_ACTIONS.has(action)) return undefined;
      const parsed = parse(installationEvent(), event, payload);
      return {
        kind: 'installation',
        action: parsed.action,
        installation: toInstallation(parsed.installation),
      };
    }
    case 'installation_repositories': {
      const parsed = parse(installationRepositoriesEvent(), event, payload);
      return {
        kind: 'installation_repositories',
        installation: toInstallation(parsed.installation),
        repositorySelection: parsed.repository_selection,
        added: (parsed.repositories_added ?? []).map(briefRepository),
        removed: (parsed.repositories_removed ?? []).map(briefRepository),
      };
    }
    case 'installation_target': {
      if (action !== 'renamed') return undefined;
      const parsed = parse(installationTargetRenamed(), event, payload);
      return {
        kind: 'installation_target.renamed',
        installationId: parsed.installation.id,
        accountId: parsed.account.id,
        // The refinement above guarantees one of the two.
        login: parsed.account.login ?? parsed.account.slug ?? '',
        targetType: parsed.target_type,
      };
    }
    case 'github_app_authorization': {
      if (action !== 'revoked') return undefined;
      const { sender } = parse(authorizationRevoked(), event, payload);
      return { kind: 'github_app_authorization.revoked', userId: sender.id, login: sender.login };
    }
    case 'repository': {
      if (action === undefined || !(REPOSITORY_ACTIONS as readonly string[]).includes(action))
        return undefined;
      const parsed = parse(repositoryEvent(), event, payload);
      const repo = parsed.repository;
      const split = splitFullName(repo.full_name);
      return {
        kind: 'repository',
        action: parsed.action,
        installationId: parsed.installation?.id,
        repositoryId: repo.id,
        fullName: repo.full_name,
        repository: {
          id: repo.id,
          fullName: repo.full_name,
          name: repo.name ?? split.name,
          owner: repo.owner?.login ?? split.owner,
          ownerId: repo.owner?.id,
          private: repo.private ?? repo.visibility === 'private',
          visibility: repo.visibility,
          defaultBranch: repo.default_branch,
          archived: repo.archived,
          htmlUrl: repo.html_url,
          updatedAt: repo.updated_at,
        },
      };
    }
    case 'push': {
      const parsed = parse(pushEvent(), event, payload);
      const repo = parsed.repository;
      const split = splitFullName(repo.full_name);
      return {
        kind: 'push',
        installationId: parsed.installation?.id,
        repository: { id: repo.id, owner: repo.owner?.login ?? split.owner, name: repo.name ?? split.name },
        ref: parsed.ref,
        before: parsed.before,
        after: parsed.after,
        commitCount: parsed.commits.length,
        compareUrl: parsed.compare,
        // The sender is the GitHub user who pushed; `pusher` is git's name for them.
        pusher: { name: parsed.pusher.name, login: parsed.sender?.login ?? null },
      };
    }
    default:
      return undefined;
  }
}
