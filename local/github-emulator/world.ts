import { createPublicKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { EmulatorClock } from './clock.js';
import { GitRepository } from './git-store.js';
import { newFormatInstallationToken, type InstallationTokenFormat } from './token-format.js';

export type Permissions = Record<string, 'read' | 'write' | 'admin'>;

export type EmulatedApp = {
  id: number;
  slug: string;
  name: string;
  clientId: string;
  clientSecret: string;
  publicKey: KeyObject;
  ownerId: number;
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  callbackUrls: string[];
  setupUrl: string | undefined;
  /** "Request user authorization (OAuth) during installation". */
  requestOAuthOnInstall: boolean;
  /** "Expire user authorization tokens" (8 h access tokens, single-use 6-month refresh tokens). */
  expiringUserTokens: boolean;
  permissions: Permissions;
  events: string[];
  createdAt: string;
};

/** What registering an App takes (POST /_emulator/apps); everything but slug and key has a default. */
export type AppRegistration = {
  id?: number;
  slug: string;
  name?: string;
  clientId?: string;
  clientSecret?: string;
  publicKey: string;
  owner?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  callbackUrls?: string[];
  setupUrl?: string;
  requestOAuthOnInstall?: boolean;
  expiringUserTokens?: boolean;
  permissions?: Permissions;
  events?: string[];
};

export type EmulatedAccount = {
  id: number;
  login: string;
  type: 'User' | 'Organization';
  name: string | null;
  email: string | null;
  /** Organisations: user ids of members. */
  memberIds: Set<number>;
  /** Organisations: the members whose role is `admin` (GitHub's "owner"). */
  adminIds: Set<number>;
  /**
   * Organisations: what every member may do in every repository (GitHub's "base permission"). GitHub's
   * default for a new organisation is `read`; the emulator's is `write` unless set, so a plain member
   * keeps pushing in tests that are not about it.
   */
  basePermission: RepositoryPermission;
  createdAt: string;
};

/** A user's own permission on a repository (GitHub's levels, `maintain`/`triage` folded in). */
export type RepositoryPermission = 'none' | 'read' | 'write' | 'admin';
const REPOSITORY_LEVEL: Record<RepositoryPermission, number> = { none: 0, read: 1, write: 2, admin: 3 };

export type EmulatedInstallation = {
  id: number;
  appId: number;
  accountId: number;
  repositorySelection: 'all' | 'selected';
  selectedRepositoryIds: Set<number>;
  permissions: Permissions;
  events: string[];
  createdAt: string;
  updatedAt: string;
  suspendedAt: string | null;
  suspendedById: number | null;
};

export type EmulatedRepository = {
  id: number;
  ownerId: number;
  name: string;
  description: string | null;
  private: boolean;
  /** Archived repositories are read-only: GitHub refuses every write with 403. */
  archived: boolean;
  /** "Template repository": others may generate new repositories from it. */
  isTemplate: boolean;
  /** The template it was generated from (POST /repos/{template_owner}/{template_repo}/generate). */
  templateRepositoryId?: number;
  defaultBranch: string;
  createdAt: string;
  updatedAt: string;
  pushedAt: string;
  /** Collaborators and teams, folded into one permission per user id (above the org's base permission). */
  collaborators: Map<number, RepositoryPermission>;
  git: GitRepository;
};

export type OAuthCode = {
  appId: number;
  userId: number;
  redirectUri: string | undefined;
  codeChallenge: string | undefined;
  expiresAtMs: number;
};

export type UserToken = {
  token: string;
  appId: number;
  userId: number;
  expiresAtMs: number | null;
  refreshToken: string | undefined;
  revoked: boolean;
};

export type RefreshToken = {
  token: string;
  appId: number;
  userId: number;
  accessToken: string;
  expiresAtMs: number;
  used: boolean;
};

export type InstallationToken = {
  token: string;
  installationId: number;
  expiresAtMs: number;
  permissions: Permissions;
  repositoryIds: Set<number> | null;
};

export const USER_TOKEN_SECONDS = 8 * 3600;
export const REFRESH_TOKEN_SECONDS = 15_811_200; // GitHub's refresh_token_expires_in: about 6 months
export const INSTALLATION_TOKEN_SECONDS = 3600;
export const OAUTH_CODE_SECONDS = 600;

const LEVEL = { read: 1, write: 2, admin: 3 } as const;

/** GitHub's limits for a recursive tree: 100,000 entries or 7 MB, whichever comes first. */
export const GITHUB_TREE_LIMITS = { maxEntries: 100_000, maxBytes: 7 * 1024 * 1024 } as const;

/** True when `granted` includes `permission` at `level` or above. */
export function grants(granted: Permissions, permission: string, level: 'read' | 'write'): boolean {
  const have = granted[permission];
  return have !== undefined && LEVEL[have] >= LEVEL[level];
}

function tokenString(prefix: string): string {
  // GitHub tokens: a prefix and 36 base62 characters.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(36);
  let out = prefix;
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** A Map that counts its changes, so that indexes built from it know when they are stale. */
class VersionedMap<K, V> extends Map<K, V> {
  version = 0;
  override set(key: K, value: V): this {
    this.version++;
    return super.set(key, value);
  }
  override delete(key: K): boolean {
    this.version++;
    return super.delete(key);
  }
  override clear(): void {
    this.version++;
    super.clear();
  }
}

/** Everything the emulated GitHub knows. In memory; `reset()` empties it. */
export class World {
  readonly clock = new EmulatorClock();
  apps = new Map<number, EmulatedApp>();
  accounts = new Map<number, EmulatedAccount>();
  installations = new Map<number, EmulatedInstallation>();
  repositories = new VersionedMap<number, EmulatedRepository>();
  codes = new Map<string, OAuthCode>();
  userTokens = new Map<string, UserToken>();
  refreshTokens = new Map<string, RefreshToken>();
  installationTokens = new Map<string, InstallationToken>();
  /** Where a recursive tree is truncated (the control API lowers it; reset restores GitHub's). */
  treeLimits: { maxEntries: number; maxBytes: number } = { ...GITHUB_TREE_LIMITS };
  /** How installation tokens look (token-format.ts); set when the emulator starts, kept by reset. */
  installationTokenFormat: InstallationTokenFormat = 'new';
  /** Signs new-format installation tokens. */
  private readonly tokenKey = randomBytes(32);
  private nextId = { account: 1000, installation: 40_000, repository: 700_000, app: 1 };
  /** Each owner's repositories by id, rebuilt when the map or an owner changed (100,000 repositories
   * must not be filtered and sorted on every page of GET /installation/repositories). */
  private byOwner: { version: number; owners: Map<number, EmulatedRepository[]> } | undefined;
  private ownerChanges = 0;

  reset(): void {
    this.apps.clear();
    this.accounts.clear();
    this.installations.clear();
    this.repositories.clear();
    this.codes.clear();
    this.userTokens.clear();
    this.refreshTokens.clear();
    this.installationTokens.clear();
    this.treeLimits = { ...GITHUB_TREE_LIMITS };
    this.clock.reset();
  }

  // --- apps and accounts -------------------------------------------------------------------------

  registerApp(input: AppRegistration): EmulatedApp {
    const id = input.id ?? this.nextId.app++;
    if (this.apps.has(id)) throw new Error(`An app with id ${id} already exists`);
    const owner = input.owner ? this.accountByLogin(input.owner) : undefined;
    const app: EmulatedApp = {
      id,
      slug: input.slug,
      name: input.name ?? input.slug,
      clientId: input.clientId ?? `Iv23li${randomBytes(7).toString('hex')}`,
      clientSecret: input.clientSecret ?? randomBytes(20).toString('hex'),
      publicKey: createPublicKey(input.publicKey),
      ownerId: owner?.id ?? 1,
      webhookUrl: input.webhookUrl,
      webhookSecret: input.webhookSecret,
      callbackUrls: input.callbackUrls ?? [],
      setupUrl: input.setupUrl,
      requestOAuthOnInstall: input.requestOAuthOnInstall ?? true,
      expiringUserTokens: input.expiringUserTokens ?? true,
      // What the service's App registration asks for (docs/deploy.md "4. Register the GitHub App").
      permissions: input.permissions ?? {
        administration: 'write',
        contents: 'write',
        metadata: 'read',
        members: 'read',
      },
      events: input.events ?? [],
      createdAt: this.clock.iso(),
    };
    this.apps.set(id, app);
    return app;
  }

  appBySlug(slug: string): EmulatedApp | undefined {
    return [...this.apps.values()].find((app) => app.slug === slug);
  }

  appByClientId(clientId: string): EmulatedApp | undefined {
    return [...this.apps.values()].find((app) => app.clientId === clientId);
  }

  createAccount(input: {
    login: string;
    type: 'User' | 'Organization';
    name?: string;
    members?: string[];
    /** Members who are the organisation's owners (role `admin`); they join `members` too. */
    admins?: string[];
    basePermission?: RepositoryPermission;
  }): EmulatedAccount {
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/.test(input.login)) {
      throw new Error(`"${input.login}" is not a valid GitHub login`);
    }
    if (this.accountByLogin(input.login)) throw new Error(`The login ${input.login} is taken`);
    const memberIds = new Set<number>();
    const adminIds = new Set<number>();
    for (const member of [...(input.admins ?? []), ...(input.members ?? [])]) {
      const user = this.accountByLogin(member);
      if (!user || user.type !== 'User') throw new Error(`Member ${member} is not an existing user`);
      memberIds.add(user.id);
      if (input.admins?.includes(member)) adminIds.add(user.id);
    }
    const account: EmulatedAccount = {
      id: this.nextId.account++,
      login: input.login,
      type: input.type,
      name: input.name ?? null,
      email: input.type === 'User' ? `${input.login}@users.noreply.github.test` : null,
      memberIds,
      adminIds,
      basePermission: input.basePermission ?? 'write',
      createdAt: this.clock.iso(),
    };
    this.accounts.set(account.id, account);
    return account;
  }

  accountByLogin(login: string): EmulatedAccount | undefined {
    const lower = login.toLowerCase();
    return [...this.accounts.values()].find((account) => account.login.toLowerCase() === lower);
  }

  account(id: number): EmulatedAccount {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`No account ${id}`);
    return account;
  }

  /**
   * The user's own permission on a repository, as GitHub reports it in `permissions` to their token:
   * the owner (or an organisation owner) is admin; otherwise the highest of their collaborator/team
   * permission and, for a member, the organisation's base permission; anyone may read a public one.
   */
  userPermission(userId: number, repo: EmulatedRepository): RepositoryPermission {
    const owner = this.account(repo.ownerId);
    if (owner.id === userId || owner.adminIds.has(userId)) return 'admin';
    const levels: RepositoryPermission[] = [repo.collaborators.get(userId) ?? 'none'];
    if (owner.memberIds.has(userId)) levels.push(owner.basePermission);
    if (!repo.private) levels.push('read');
    return levels.reduce((best, level) => (REPOSITORY_LEVEL[level] > REPOSITORY_LEVEL[best] ? level : best));
  }

  /** The user's own account and every organisation they belong to. */
  reachableAccountIds(userId: number): Set<number> {
    const ids = new Set([userId]);
    for (const account of this.accounts.values()) if (account.memberIds.has(userId)) ids.add(account.id);
    return ids;
  }

  // --- installations -----------------------------------------------------------------------------

  install(input: {
    appId: number;
    accountId: number;
    repositorySelection?: 'all' | 'selected';
    permissions?: Permissions;
    repositoryIds?: number[];
  }): EmulatedInstallation {
    const app = this.apps.get(input.appId);
    if (!app) throw new Error(`No app ${input.appId}`);
    if (this.installationFor(input.appId, input.accountId)) {
      throw new Error(`The app is already installed on ${this.account(input.accountId).login}`);
    }
    const installation: EmulatedInstallation = {
      id: this.nextId.installation++,
      appId: input.appId,
      accountId: input.accountId,
      repositorySelection: input.repositorySelection ?? 'all',
      selectedRepositoryIds: new Set(input.repositoryIds ?? []),
      permissions: input.permissions ?? { ...app.permissions },
      events: [...app.events],
      createdAt: this.clock.iso(),
      updatedAt: this.clock.iso(),
      suspendedAt: null,
      suspendedById: null,
    };
    this.installations.set(installation.id, installation);
    return installation;
  }

  installationFor(appId: number, accountId: number): EmulatedInstallation | undefined {
    return [...this.installations.values()].find((i) => i.appId === appId && i.accountId === accountId);
  }

  uninstall(installationId: number): EmulatedInstallation | undefined {
    const installation = this.installations.get(installationId);
    if (!installation) return undefined;
    this.installations.delete(installationId);
    for (const [token, record] of this.installationTokens) {
      if (record.installationId === installationId) this.installationTokens.delete(token);
    }
    return installation;
  }

  /** Installations of `appId` that `userId` can reach: their own account's and their organisations'. */
  reachableInstallations(appId: number, userId: number): EmulatedInstallation[] {
    const reachable = this.reachableAccountIds(userId);
    return [...this.installations.values()]
      .filter((installation) => installation.appId === appId && reachable.has(installation.accountId))
      .sort((a, b) => a.id - b.id);
  }

  // --- OAuth -------------------------------------------------------------------------------------

  issueCode(input: Omit<OAuthCode, 'expiresAtMs'>): string {
    const code = randomBytes(10).toString('hex');
    this.codes.set(code, { ...input, expiresAtMs: this.clock.nowMs() + OAUTH_CODE_SECONDS * 1000 });
    return code;
  }

  /** A code works once: it is removed whether or not the exchange succeeds afterwards. */
  takeCode(code: string): OAuthCode | undefined {
    const record = this.codes.get(code);
    this.codes.delete(code);
    if (!record || record.expiresAtMs <= this.clock.nowMs()) return undefined;
    return record;
  }

  issueUserToken(appId: number, userId: number): { access: UserToken; refresh: RefreshToken | undefined } {
    const app = this.apps.get(appId);
    const now = this.clock.nowMs();
    const access: UserToken = {
      token: tokenString('ghu_'),
      appId,
      userId,
      expiresAtMs: app?.expiringUserTokens ? now + USER_TOKEN_SECONDS * 1000 : null,
      refreshToken: undefined,
      revoked: false,
    };
    let refresh: RefreshToken | undefined;
    if (app?.expiringUserTokens) {
      refresh = {
        token: tokenString('ghr_'),
        appId,
        userId,
        accessToken: access.token,
        expiresAtMs: now + REFRESH_TOKEN_SECONDS * 1000,
        used: false,
      };
      access.refreshToken = refresh.token;
      this.refreshTokens.set(refresh.token, refresh);
    }
    this.userTokens.set(access.token, access);
    return { access, refresh };
  }

  liveUserToken(token: string): UserToken | undefined {
    const record = this.userTokens.get(token);
    if (!record || record.revoked) return undefined;
    if (record.expiresAtMs !== null && record.expiresAtMs <= this.clock.nowMs()) return undefined;
    return record;
  }

  /** Revokes every token of a user for an app (the authorization is gone). */
  revokeAuthorization(appId: number, userId: number): number {
    let revoked = 0;
    for (const record of this.userTokens.values()) {
      if (record.appId === appId && record.userId === userId && !record.revoked) {
        record.revoked = true;
        revoked++;
      }
    }
    for (const record of this.refreshTokens.values()) {
      if (record.appId === appId && record.userId === userId) record.used = true;
    }
    return revoked;
  }

  issueInstallationToken(
    installation: EmulatedInstallation,
    permissions: Permissions,
    repositoryIds: Set<number> | null,
  ): InstallationToken {
    const expiresAtMs = this.clock.nowMs() + INSTALLATION_TOKEN_SECONDS * 1000;
    const token: InstallationToken = {
      token:
        this.installationTokenFormat === 'classic'
          ? tokenString('ghs_')
          : newFormatInstallationToken({
              appId: installation.appId,
              installationId: installation.id,
              issuedAtSeconds: this.clock.nowSeconds(),
              expiresAtSeconds: Math.floor(expiresAtMs / 1000),
              permissions,
              repositoryIds,
              key: this.tokenKey,
            }),
      installationId: installation.id,
      expiresAtMs,
      permissions,
      repositoryIds,
    };
    this.installationTokens.set(token.token, token);
    return token;
  }

  /** DELETE /installation/token: the token is gone (GitHub answers 401 to it from then on). */
  revokeInstallationToken(token: string): boolean {
    return this.installationTokens.delete(token);
  }

  liveInstallationToken(token: string): InstallationToken | undefined {
    const record = this.installationTokens.get(token);
    if (!record || record.expiresAtMs <= this.clock.nowMs()) return undefined;
    if (!this.installations.has(record.installationId)) return undefined;
    return record;
  }

  // --- repositories ------------------------------------------------------------------------------

  /** The account's repositories ordered by id. Shared by all callers until the next change: read only. */
  repositoriesOf(accountId: number): readonly EmulatedRepository[] {
    const version = this.repositories.version + this.ownerChanges;
    if (this.byOwner?.version !== version) {
      const owners = new Map<number, EmulatedRepository[]>();
      for (const repo of this.repositories.values()) {
        const list = owners.get(repo.ownerId);
        if (list) list.push(repo);
        else owners.set(repo.ownerId, [repo]);
      }
      for (const list of owners.values()) list.sort((a, b) => a.id - b.id);
      this.byOwner = { version, owners };
    }
    return this.byOwner.owners.get(accountId) ?? [];
  }

  /** A repository changed owner (a transfer): the per-owner index is stale. */
  ownerChanged(): void {
    this.ownerChanges++;
  }

  repository(ownerLogin: string, name: string): EmulatedRepository | undefined {
    const owner = this.accountByLogin(ownerLogin);
    if (!owner) return undefined;
    const lower = name.toLowerCase();
    return this.repositoriesOf(owner.id).find((repo) => repo.name.toLowerCase() === lower);
  }

  createRepository(input: {
    ownerId: number;
    name: string;
    description: string | null;
    private: boolean;
    isTemplate?: boolean;
  }): EmulatedRepository {
    const repo: EmulatedRepository = {
      id: this.nextId.repository++,
      ownerId: input.ownerId,
      name: input.name,
      description: input.description,
      private: input.private,
      archived: false,
      isTemplate: input.isTemplate ?? false,
      defaultBranch: 'main',
      createdAt: this.clock.iso(),
      updatedAt: this.clock.iso(),
      // GitHub sets pushed_at at creation, before anything is pushed.
      pushedAt: this.clock.iso(),
      collaborators: new Map(),
      git: new GitRepository(),
    };
    this.repositories.set(repo.id, repo);
    return repo;
  }

  /**
   * One commit holding `files` (path → content) on the default branch of an empty repository, as a push
   * would make it: what the control API uses to give repositories content.
   */
  commitFiles(
    repo: EmulatedRepository,
    /** null deletes the path. */
    files: Record<string, string | Buffer | null>,
    message: string,
    /** The branch (default: the default branch) and the author (default: the owner). */
    options: { branch?: string; author?: EmulatedAccount } = {},
  ): string {
    const changes = Object.entries(files).map(([path, content]) => ({
      path,
      mode: '100644' as const,
      type: 'blob' as const,
      sha:
        content === null ? null : repo.git.putBlob(Buffer.isBuffer(content) ? content : Buffer.from(content)),
    }));
    const ref = `refs/heads/${options.branch ?? repo.defaultBranch}`;
    const parent = repo.git.refs.get(ref);
    const parentTree = parent ? repo.git.commits.get(parent)?.tree : undefined;
    const tree = repo.git.buildTree(parentTree, changes);
    const owner = options.author ?? this.account(repo.ownerId);
    const who = {
      name: owner.name ?? owner.login,
      email: `${owner.login}@users.noreply.github.test`,
      date: this.clock.iso(),
    };
    const commit = repo.git.putCommit({
      tree,
      parents: parent ? [parent] : [],
      message,
      author: who,
      committer: who,
    });
    repo.git.refs.set(ref, commit.sha);
    repo.pushedAt = this.clock.iso();
    return commit.sha;
  }

  newDeliveryId(): string {
    return randomUUID();
  }
}
