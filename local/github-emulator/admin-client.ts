import type { FaultMode } from './handlers/admin.js';
import type { LimitSettings } from './rate-limits.js';
import type { AppRegistration } from './world.js';

/** A repository as the control API reports it after a change. */
export type RepositoryState = {
  id: number;
  fullName: string;
  private: boolean;
  archived: boolean;
  isTemplate: boolean;
  defaultBranch: string;
};

/** A webhook delivery as the control API reports it (Webhooks.summary). */
export type DeliverySummary = {
  guid: string;
  event: string;
  action: string | null;
  installation_id: number | null;
  status_code: number | null;
  payload: Record<string, unknown>;
};

/** A small typed client for the emulator's /_emulator/ control API, for scripts, tests and npm start. */
export class EmulatorAdmin {
  constructor(readonly baseUrl: string) {}

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}/_emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /_emulator${path} → ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  registerApp(app: AppRegistration) {
    return this.call<{ id: number; slug: string; clientId: string; clientSecret: string }>(
      'POST',
      '/apps',
      app,
    );
  }

  createUser(user: {
    login: string;
    type?: 'User' | 'Organization';
    name?: string;
    members?: string[];
    /** Organisation owners (GitHub's role `admin`). */
    admins?: string[];
    /** Organisations: every member's permission on every repository (the emulator's default: write). */
    basePermission?: 'none' | 'read' | 'write' | 'admin';
  }) {
    return this.call<{ id: number; login: string; type: string }>('POST', '/users', {
      type: 'User',
      ...user,
    });
  }

  /** Sets an organisation's base permission (every member's permission on every repository). */
  setBasePermission(org: string, permission: 'none' | 'read' | 'write' | 'admin') {
    return this.call('PUT', `/orgs/${org}/base-permission`, { permission });
  }

  /** Sets a user's own permission on one repository (collaborator or team grant; `none` removes it). */
  setRepositoryPermission(
    owner: string,
    repo: string,
    login: string,
    permission: 'none' | 'read' | 'write' | 'admin',
  ) {
    return this.call('PUT', `/repos/${owner}/${repo}/permissions/${login}`, { permission });
  }

  /** Sets a user's role in an organisation (`none` removes them). */
  setOrgRole(org: string, login: string, role: 'admin' | 'member' | 'none') {
    return this.call('PUT', `/orgs/${org}/memberships/${login}`, { role });
  }

  /** The account takes a new login (GitHub frees the old one for anyone to take). */
  renameUser(login: string, newLogin: string) {
    return this.call<{ login: string }>('POST', `/users/${encodeURIComponent(login)}/rename`, {
      login: newLogin,
    });
  }

  install(input: {
    appId: number;
    account: string;
    repositorySelection?: 'all' | 'selected';
    repositories?: string[];
    permissions?: Record<string, string>;
  }) {
    return this.call<{ installation: { id: number }; delivery: unknown }>('POST', '/installations', input);
  }

  uninstall(id: number) {
    return this.call('DELETE', `/installations/${id}`);
  }

  suspend(id: number) {
    return this.call('POST', `/installations/${id}/suspend`, {});
  }

  unsuspend(id: number) {
    return this.call('POST', `/installations/${id}/unsuspend`, {});
  }

  advanceClock(seconds: number) {
    return this.call<{ now: string }>('POST', '/clock', { advanceSeconds: seconds });
  }

  fault(fault: {
    method?: string;
    route?: string;
    count?: number;
    status?: number;
    headers?: Record<string, string>;
    body?: unknown;
    delayMs?: number;
    mode?: FaultMode;
  }) {
    return this.call('POST', '/faults', fault);
  }

  async calls(route?: string) {
    const query = route ? `?route=${encodeURIComponent(route)}` : '';
    return (
      await this.call<{
        calls: Array<{
          method: string;
          route: string;
          credential: string;
          path: string;
          status: number;
          startMs: number;
          endMs: number;
          grantType?: string;
          /** The installation whose token made the call. */
          installationId?: number;
          /** The id of the fault that answered it. */
          fault?: number;
          body?: unknown;
        }>;
      }>('GET', `/calls${query}`)
    ).calls;
  }

  /** Repositories with one commit each (`files`: path → content; default a README). */
  async createRepositories(
    owner: string,
    input: {
      names?: string[];
      count?: number;
      prefix?: string;
      /** Path → UTF-8 text, or `{ base64 }` for bytes (a binary file). */
      files?: Record<string, string | { base64: string }>;
      private?: boolean;
      isTemplate?: boolean;
      description?: string;
      /** Who made them (the `repository` events' sender); default the owner, or the org's first owner. */
      by?: string;
    },
  ) {
    return (
      await this.call<{ repositories: Array<{ id: number; fullName: string }> }>(
        'POST',
        `/users/${owner}/repos`,
        input,
      )
    ).repositories;
  }

  /**
   * Changes a repository as a person on github.com would (`by`, else its owner): rename (keeps the id),
   * archive/unarchive, visibility, template, description, default branch. Sends `repository` events.
   */
  updateRepository(
    owner: string,
    repo: string,
    change: {
      name?: string;
      archived?: boolean;
      visibility?: 'public' | 'private';
      isTemplate?: boolean;
      description?: string | null;
      defaultBranch?: string;
      by?: string;
    },
  ) {
    return this.call<{ repository: RepositoryState; deliveries: DeliverySummary[] }>(
      'PATCH',
      `/repos/${owner}/${repo}`,
      change,
    );
  }

  /**
   * Pushes one commit, as a person would on github.com (`by`, else the owner): `files` path → content
   * (null deletes it) on `branch` (default the default branch). Sends `push` to subscribed installations.
   */
  pushCommit(
    owner: string,
    repo: string,
    input: {
      files: Record<string, string | { base64: string } | null>;
      message?: string;
      branch?: string;
      by?: string;
    },
  ) {
    return this.call<{ sha: string; before: string | null; ref: string; deliveries: DeliverySummary[] }>(
      'POST',
      `/repos/${owner}/${repo}/commits`,
      input,
    );
  }

  renameRepository(owner: string, repo: string, name: string) {
    return this.updateRepository(owner, repo, { name });
  }

  archiveRepository(owner: string, repo: string, archived = true) {
    return this.updateRepository(owner, repo, { archived });
  }

  setRepositoryVisibility(owner: string, repo: string, visibility: 'public' | 'private') {
    return this.updateRepository(owner, repo, { visibility });
  }

  makeTemplate(owner: string, repo: string, isTemplate = true) {
    return this.updateRepository(owner, repo, { isTemplate });
  }

  deleteRepository(owner: string, repo: string) {
    return this.call<{ deleted: RepositoryState; deliveries: DeliverySummary[] }>(
      'DELETE',
      `/repos/${owner}/${repo}`,
    );
  }

  /** Moves the repository to `newOwner`, keeping its id (installations that had selected it lose it). */
  transferRepository(owner: string, repo: string, newOwner: string) {
    return this.call<{ repository: RepositoryState; deliveries: DeliverySummary[] }>(
      'POST',
      `/repos/${owner}/${repo}/transfer`,
      { newOwner },
    );
  }

  /** Every REST answer takes at least this long (0: as fast as it can). */
  setLatency(latencyMs: number) {
    return this.call('PUT', '/latency', { latencyMs });
  }

  /** Each REST answer waits a random time in [minMs, maxMs], as real calls to GitHub vary. */
  setLatencyRange(minMs: number, maxMs: number) {
    return this.call<{ minMs: number; maxMs: number }>('PUT', '/latency', { minMs, maxMs });
  }

  /**
   * Many empty repositories at once, without webhooks (handlers/bulk.ts): names like
   * `prefix-growth-payments-api-12` (bulkRepositoryName), numbered from `start` + 1.
   */
  createRepositoriesInBulk(
    owner: string,
    input: { count: number; prefix?: string; words?: string[][]; start?: number; private?: boolean },
  ) {
    return this.call<{
      owner: string;
      count: number;
      firstId: number;
      lastId: number;
      first: string;
      last: string;
    }>('POST', `/users/${owner}/repos/bulk`, input);
  }

  clearCalls() {
    return this.call('DELETE', '/calls');
  }

  async deliveries() {
    return (
      await this.call<{
        deliveries: Array<{
          guid: string;
          event: string;
          action: string | null;
          status_code: number | null;
          redelivery: boolean;
          installation_id: number | null;
        }>;
      }>('GET', '/deliveries')
    ).deliveries;
  }

  redeliver(guid: string) {
    return this.call('POST', `/deliveries/${guid}/redeliver`, {});
  }

  reset() {
    return this.call('POST', '/reset', {});
  }

  /** GitHub's rate limits: `{ enforce: false }` relaxes them all; numbers lower or raise one. */
  setLimits(settings: Partial<LimitSettings>) {
    return this.call<LimitSettings>('PUT', '/limits', settings);
  }

  /** The next `count` webhook delivery attempts are lost (recorded as never answered). */
  dropWebhooks(count: number) {
    return this.call<{ remaining: number }>('POST', '/webhooks/faults', { count, mode: 'drop' });
  }
}
