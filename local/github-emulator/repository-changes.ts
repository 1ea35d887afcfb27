import { GitHubError, validationFailed } from './errors.js';
import type { EmulatorContext } from './http.js';
import {
  prepareRepositoryEvent,
  removeFromSelections,
  sendRepositoryEvent,
  type RepositoryAction,
  type RepositorySender,
} from './repository-events.js';
import type { Delivery } from './webhooks.js';
import type { EmulatedAccount, EmulatedRepository } from './world.js';

/** What PATCH /repos/{owner}/{repo} (and the control API) may change; absent fields stay as they are. */
export type RepositoryUpdate = {
  name?: string;
  description?: string | null;
  private?: boolean;
  isTemplate?: boolean;
  defaultBranch?: string;
  archived?: boolean;
};

export const archivedReadOnly = () => new GitHubError(403, 'Repository was archived so is read-only.');

const invalid = (property: string, value: unknown, type: string) =>
  validationFailed(
    `Invalid request.\n\nFor 'properties/${property}', ${JSON.stringify(value)} is not ${type}.`,
    [],
  );

/** GitHub's request body of PATCH /repos/{owner}/{repo}, type-checked as GitHub does (422). */
export function parseRepositoryUpdate(body: Record<string, unknown> | undefined): RepositoryUpdate {
  const update: RepositoryUpdate = {};
  const source = body ?? {};
  const booleanField = (field: string): boolean | undefined => {
    const value = source[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw invalid(field, value, 'a boolean');
    return value;
  };
  if (source.name !== undefined) {
    if (typeof source.name !== 'string') throw invalid('name', source.name, 'a string');
    update.name = source.name;
  }
  if (source.description !== undefined) {
    if (typeof source.description !== 'string' && source.description !== null)
      throw invalid('description', source.description, 'a string');
    update.description = source.description;
  }
  if (source.default_branch !== undefined) {
    if (typeof source.default_branch !== 'string')
      throw invalid('default_branch', source.default_branch, 'a string');
    update.defaultBranch = source.default_branch;
  }
  const isPrivate = booleanField('private');
  if (isPrivate !== undefined) update.private = isPrivate;
  if (source.visibility !== undefined) {
    // `internal` exists only for enterprise organisations, which the emulator does not have.
    if (source.visibility !== 'public' && source.visibility !== 'private') {
      throw validationFailed('Validation Failed', [
        { resource: 'Repository', code: 'invalid', field: 'visibility', value: source.visibility },
      ]);
    }
    update.private = source.visibility === 'private';
  }
  const isTemplate = booleanField('is_template');
  if (isTemplate !== undefined) update.isTemplate = isTemplate;
  const archived = booleanField('archived');
  if (archived !== undefined) update.archived = archived;
  return update;
}

/** GitHub's name rules, as for creation: characters it does not allow become "-". */
function checkedName(context: EmulatorContext, repo: EmulatedRepository, raw: string): string {
  const name = raw.trim().replace(/[^A-Za-z0-9._-]/g, '-');
  const nameError = (message: string) =>
    validationFailed('Validation Failed', [
      { resource: 'Repository', code: 'custom', field: 'name', message },
    ]);
  if (name === '') throw nameError('name is too short (minimum is 1 character)');
  if (name.length > 100) throw nameError('name is too long (maximum is 100 characters)');
  if (name === '.' || name === '..') throw nameError('name is reserved');
  const owner = context.world.account(repo.ownerId);
  const taken = context.world.repository(owner.login, name);
  if (taken && taken.id !== repo.id) throw nameError('name already exists on this account');
  return name;
}

/**
 * Applies an update as GitHub does (all checks first, then every change), and sends one `repository`
 * event per kind of change: unarchived, renamed, edited, privatized/publicized, archived. An archived
 * repository accepts nothing but being unarchived.
 */
export async function updateRepository(
  context: EmulatorContext,
  repo: EmulatedRepository,
  update: RepositoryUpdate,
  sender: RepositorySender,
): Promise<Delivery[]> {
  if (repo.archived && update.archived !== false) throw archivedReadOnly();
  const name = update.name === undefined ? undefined : checkedName(context, repo, update.name);
  if (update.defaultBranch !== undefined && !repo.git.refs.has(`refs/heads/${update.defaultBranch}`)) {
    throw validationFailed('Validation Failed', [
      { resource: 'Repository', code: 'invalid', field: 'default_branch' },
    ]);
  }

  const before = { ...repo };
  if (update.archived !== undefined) repo.archived = update.archived;
  if (name !== undefined) repo.name = name;
  if (update.description !== undefined) repo.description = update.description;
  if (update.defaultBranch !== undefined) repo.defaultBranch = update.defaultBranch;
  if (update.isTemplate !== undefined) repo.isTemplate = update.isTemplate;
  if (update.private !== undefined) repo.private = update.private;

  const events: Array<{ action: RepositoryAction; changes?: Record<string, unknown> }> = [];
  if (before.archived && !repo.archived) events.push({ action: 'unarchived' });
  if (before.name !== repo.name)
    events.push({ action: 'renamed', changes: { repository: { name: { from: before.name } } } });
  const edited: Record<string, unknown> = {};
  if (before.description !== repo.description) edited.description = { from: before.description };
  if (before.defaultBranch !== repo.defaultBranch) edited.default_branch = { from: before.defaultBranch };
  if (Object.keys(edited).length > 0 || before.isTemplate !== repo.isTemplate)
    events.push({ action: 'edited', changes: edited });
  if (before.private !== repo.private) events.push({ action: repo.private ? 'privatized' : 'publicized' });
  if (!before.archived && repo.archived) events.push({ action: 'archived' });
  if (events.length > 0) repo.updatedAt = context.world.clock.iso();

  const deliveries: Delivery[] = [];
  for (const event of events)
    deliveries.push(...(await sendRepositoryEvent(context, { ...event, repo, sender })));
  return deliveries;
}

/**
 * Deletes a repository (its id is gone for good): `repository` `deleted` to the installations that
 * reached it, then `installation_repositories` `removed` to those that had selected it.
 */
export async function deleteRepository(
  context: EmulatorContext,
  repo: EmulatedRepository,
  sender: RepositorySender,
): Promise<Delivery[]> {
  const sendDeleted = prepareRepositoryEvent(context, { action: 'deleted', repo, sender });
  context.world.repositories.delete(repo.id);
  const deliveries = await sendDeleted();
  deliveries.push(...(await removeFromSelections(context, repo, sender)));
  return deliveries;
}

/**
 * Moves a repository to another account, keeping its id: installations that had selected it lose it
 * (`installation_repositories` `removed`), and the new owner's installations that reach it get
 * `repository` `transferred` with `changes.owner.from`.
 */
export async function transferRepository(
  context: EmulatorContext,
  repo: EmulatedRepository,
  newOwner: EmulatedAccount,
  sender: RepositorySender,
): Promise<Delivery[]> {
  const from = context.world.account(repo.ownerId);
  if (from.id === newOwner.id) throw new GitHubError(422, 'The repository already belongs to this account.');
  if (context.world.repository(newOwner.login, repo.name))
    throw validationFailed('Validation Failed', [
      {
        resource: 'Repository',
        code: 'custom',
        field: 'name',
        message: 'name already exists on this account',
      },
    ]);
  const deliveries = await removeFromSelections(context, repo, sender);
  repo.ownerId = newOwner.id;
  context.world.ownerChanged();
  repo.updatedAt = context.world.clock.iso();
  const previous =
    from.type === 'Organization'
      ? { organization: context.serializer.organizationSimple(from) }
      : { user: context.serializer.simpleUser(from) };
  deliveries.push(
    ...(await sendRepositoryEvent(context, {
      action: 'transferred',
      repo,
      sender,
      changes: { owner: { from: previous } },
    })),
  );
  return deliveries;
}
