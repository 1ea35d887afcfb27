import { z } from 'zod';

/**
 * The domain events the service publishes (docs/events.md): one schema per type's EventBridge `detail`.
 * The JSON Schemas in events/schemas/ (draft 4, what EventBridge's registry takes) are generated from
 * these by `npm run docs`, so code, registry and docs cannot disagree.
 *
 * Every detail carries the same envelope fields; a type adds what it is about. Fields are only ever
 * added (consumers ignore what they do not know); a removed or changed field is a new type.
 */

const role = z.enum(['owner', 'admin', 'member']);
const githubUser = z.object({ id: z.number().int().positive(), login: z.string().min(1) }).strict();
const account = z.object({ id: z.string().min(1), name: z.string().min(1) }).strict();
const installation = z
  .object({
    id: z.number().int().positive(),
    accountLogin: z.string().min(1),
    accountType: z.enum(['User', 'Organization']),
  })
  .strict();
const repository = z
  .object({
    id: z.number().int().positive(),
    owner: z.string().min(1),
    name: z.string().min(1),
    installationId: z.number().int().positive(),
  })
  .strict();
const sha = z.string().regex(/^[0-9a-f]{40}$/);
/** A link's repository scope (docs/repository-scope.md): lower-case names and name prefixes ending in `*`. */
const repositoryScope = z
  .object({
    repositories: z.array(z.string().min(1)),
    patterns: z.array(z.string().min(2)),
  })
  .strict();
/** A service access policy (docs/token-vending.md): who may ask for which tokens. */
const policyFields = {
  principal: z.string().min(1),
  repositories: z.array(z.string().min(1)),
  permissions: z.record(z.string(), z.enum(['read', 'write'])),
  maxLifetimeMinutes: z.number().int().positive().nullable(),
};
const serviceAccessPolicy = z.object({ id: z.string().min(1), ...policyFields }).strict();

/** Who did it: a platform user (through the API), or GitHub (a webhook). */
const actor = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('user'), userId: z.number().int().positive(), login: z.string().min(1) })
    .strict(),
  z.object({ type: z.literal('github'), login: z.string().min(1).nullable() }).strict(),
]);

/** What every event's `detail` carries. */
const envelope = {
  /** Stable across redeliveries of the same event: consumers deduplicate by it. */
  eventId: z.uuid(),
  /** The accounts this event is about, for EventBridge rules (one team's events); may be empty. */
  platformAccountIds: z.array(z.string().min(1)),
  actor,
  occurredAt: z.iso.datetime(),
  /** The request's `x-request-id`, or GitHub's `X-GitHub-Delivery`. */
  correlationId: z.string().min(1),
};

/** A type's detail schema; `when` says when it is published and to which accounts (docs, registry). */
const detail = <T extends z.ZodRawShape>(when: string, shape: T) =>
  z
    .object({ ...envelope, ...shape })
    .strict()
    .describe(when);

const TEAM = 'platformAccountIds: the acting account';
const LINKED = 'platformAccountIds: every account linked to the installation';

export const EVENT_CATALOG = {
  'account.created': detail(`An account was created. ${TEAM}.`, { account }),
  'account.renamed': detail(`An owner renamed the account. ${TEAM}.`, {
    account,
    previousName: z.string().min(1),
  }),
  'account.deleted': detail(`An owner deleted the account. ${TEAM}.`, { account }),
  'member.invited': detail(`A manager invited a GitHub user. ${TEAM}.`, {
    account,
    invitee: githubUser,
    role,
    expiresAt: z.iso.datetime(),
  }),
  'member.joined': detail(`An invitee accepted. ${TEAM}.`, { account, member: githubUser, role }),
  'member.declined': detail(`An invitee declined. ${TEAM}.`, { account, invitee: githubUser }),
  'member.role_changed': detail(`A manager changed a member's role. ${TEAM}.`, {
    account,
    member: githubUser,
    role,
    previousRole: role,
  }),
  'member.left': detail(`A member left. ${TEAM}.`, { account, member: githubUser }),
  'member.removed': detail(`A manager removed a member. ${TEAM}.`, { account, member: githubUser }),
  'installation.linked': detail(
    `An account linked an installation (a shared installation is the linking team's event). ${TEAM}.`,
    { account, installation },
  ),
  'installation.unlinked': detail(`An account unlinked an installation. ${TEAM}.`, { account, installation }),
  'installation.scope_changed': detail(
    `An owner or admin set which repositories the account reaches through its link (also on a link made with a scope); scope null: every repository the installation reaches. ${TEAM}.`,
    { account, installation, scope: repositoryScope.nullable() },
  ),
  'installation.suspended': detail(`GitHub reports the installation suspended. ${LINKED}.`, { installation }),
  'installation.unsuspended': detail(`GitHub reports the installation unsuspended. ${LINKED}.`, {
    installation,
  }),
  'installation.deleted': detail(
    `GitHub reports the App uninstalled; every link goes. ${LINKED} (before the uninstall).`,
    { installation },
  ),
  'installation.renamed': detail(`GitHub reports the installation's account renamed. ${LINKED}.`, {
    installation,
    previousLogin: z.string().min(1),
  }),
  'installation.permissions_accepted': detail(
    `The installation's owner accepted new permissions. ${LINKED}.`,
    {
      installation,
      permissions: z.record(z.string(), z.enum(['read', 'write', 'admin'])),
    },
  ),
  'repository.created': detail(`A member created a repository through the service. ${TEAM}.`, {
    repository,
    private: z.boolean(),
    defaultBranch: z.string().min(1),
  }),
  'repository.committed': detail(
    `A member committed through the service (sha, branch, file count). ${TEAM}.`,
    {
      repository,
      branch: z.string().min(1),
      sha,
      parentSha: sha.nullable(),
      fileCount: z.number().int().nonnegative(),
    },
  ),
  'repository.pushed': detail(
    `GitHub reports a push to a repository of a linked installation (commits never inlined). ${LINKED} whose link's scope includes the repository.`,
    {
      repository,
      ref: z.string().min(1),
      before: sha,
      after: sha,
      /** How many commits the push carried (GitHub lists at most 2,048); never the commits themselves. */
      commitCount: z.number().int().nonnegative(),
      compareUrl: z.url(),
      pusher: z.object({ name: z.string().min(1), login: z.string().min(1).nullable() }).strict(),
    },
  ),
  'service_access.granted': detail(
    `An owner granted a platform back-end (an IAM principal) tokens on repositories. ${TEAM}.`,
    { account, policy: serviceAccessPolicy },
  ),
  'service_access.changed': detail(
    `An owner changed a service access policy; previous holds each changed field as it was. ${TEAM}.`,
    { account, policy: serviceAccessPolicy, previous: z.object(policyFields).partial().strict() },
  ),
  'service_access.revoked': detail(`An owner deleted a service access policy. ${TEAM}.`, {
    account,
    policy: serviceAccessPolicy,
  }),
  'user.authorization_revoked': detail(
    `The user revoked the App's authorization on GitHub. platformAccountIds: every account the user belongs to.`,
    { user: githubUser },
  ),
} as const;

export type EventType = keyof typeof EVENT_CATALOG;
export type EventDetail<T extends EventType> = z.infer<(typeof EVENT_CATALOG)[T]>;
export const EVENT_TYPES = Object.keys(EVENT_CATALOG) as EventType[];

/** The catalog's JSON Schema (draft 4) of one type's `detail`. */
export function detailJsonSchema(type: EventType): Record<string, unknown> {
  return {
    ...z.toJSONSchema(EVENT_CATALOG[type], { target: 'draft-04' }),
    title: type,
  };
}
