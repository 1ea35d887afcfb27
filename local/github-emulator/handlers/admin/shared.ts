import { GitHubError, notFound } from '../../errors.js';
import type { EmulatorContext, EmulatorRequest, Route } from '../../http.js';
import { parseRepositoryUpdate, type RepositoryUpdate } from '../../repository-changes.js';
import { Webhooks } from '../../webhooks.js';
import type {
  EmulatedAccount,
  EmulatedInstallation,
  EmulatedRepository,
  RepositoryPermission,
} from '../../world.js';

/** A control route: under /_emulator/, never faulted, delayed or rate limited. */
export const admin = (method: string, template: string, handle: Route['handle']): Route => ({
  method,
  template: `/_emulator${template}`,
  kind: 'admin',
  handle,
});

export const bad = (message: string) => new GitHubError(400, message);

export function accountOrThrow(context: EmulatorContext, login: unknown): EmulatedAccount {
  const account = typeof login === 'string' ? context.world.accountByLogin(login) : undefined;
  if (!account) throw bad(`No account with login ${String(login)}`);
  return account;
}

export function installationOrThrow(
  context: EmulatorContext,
  request: EmulatorRequest,
): EmulatedInstallation {
  const installation = context.world.installations.get(Number(request.params.id));
  if (!installation) throw notFound();
  return installation;
}

/**
 * Who GitHub names as the sender of an installation event: the account, or an organisation's first
 * member.
 */
export function senderFor(
  context: EmulatorContext,
  installation: EmulatedInstallation,
  by?: unknown,
): EmulatedAccount {
  if (typeof by === 'string') return accountOrThrow(context, by);
  const account = context.world.account(installation.accountId);
  const member = [...account.memberIds][0];
  return account.type === 'User' || member === undefined ? account : context.world.account(member);
}

/**
 * Who changes a repository on github.com: `by`, else the owner, else the organisation's first owner or
 * member.
 */
export function personFor(context: EmulatorContext, owner: EmulatedAccount, by?: unknown): EmulatedAccount {
  if (typeof by === 'string') return accountOrThrow(context, by);
  const person = [...owner.adminIds, ...owner.memberIds][0];
  return owner.type === 'User' || person === undefined ? owner : context.world.account(person);
}

export function repositoryPermission(value: unknown): RepositoryPermission {
  if (value === 'none' || value === 'read' || value === 'write' || value === 'admin') return value;
  throw bad('permission must be none, read, write or admin');
}

export function repositoryOrThrow(context: EmulatorContext, request: EmulatorRequest): EmulatedRepository {
  const repo = context.world.repository(request.params.owner ?? '', request.params.repo ?? '');
  if (!repo) throw notFound();
  return repo;
}

/** A file's content in the control API: UTF-8 text, or `{ base64 }` for any bytes. */
export function fileContent(content: unknown): string | Buffer {
  if (
    typeof content === 'object' &&
    content !== null &&
    typeof (content as { base64?: unknown }).base64 === 'string'
  )
    return Buffer.from((content as { base64: string }).base64, 'base64');
  return String(content);
}

/** The control API's view of a repository after a change. */
export function repositoryState(context: EmulatorContext, repo: EmulatedRepository) {
  return {
    id: repo.id,
    fullName: `${context.world.account(repo.ownerId).login}/${repo.name}`,
    private: repo.private,
    archived: repo.archived,
    isTemplate: repo.isTemplate,
    defaultBranch: repo.defaultBranch,
  };
}

/** The control API's body (camelCase) as PATCH /repos/{owner}/{repo} would take it. */
export function controlUpdate(body: Record<string, unknown> | undefined): RepositoryUpdate {
  const source = body ?? {};
  return parseRepositoryUpdate({
    ...(source.name !== undefined ? { name: source.name } : {}),
    ...(source.description !== undefined ? { description: source.description } : {}),
    ...(source.visibility !== undefined ? { visibility: source.visibility } : {}),
    ...(source.private !== undefined ? { private: source.private } : {}),
    ...(source.isTemplate !== undefined ? { is_template: source.isTemplate } : {}),
    ...(source.defaultBranch !== undefined ? { default_branch: source.defaultBranch } : {}),
    ...(source.archived !== undefined ? { archived: source.archived } : {}),
  });
}

export const delivered = (delivery: Awaited<ReturnType<Webhooks['send']>>) =>
  delivery ? Webhooks.summary(delivery) : null;
