import type { CommitObject, TreeEntry } from './git-store.js';
import type {
  EmulatedAccount,
  EmulatedApp,
  EmulatedInstallation,
  EmulatedRepository,
  World,
} from './world.js';

/** The emulator never signs commits: GitHub's verification block for an unsigned one. */
const UNSIGNED = { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };

/** GitHub's JSON shapes for the emulated objects; field sets follow GitHub's OpenAPI description. */
export class Serializer {
  constructor(
    private readonly world: World,
    /** Where the emulator answers: API URLs and web URLs both point at it. */
    private readonly baseUrl: () => string,
  ) {}

  private api(path: string): string {
    return `${this.baseUrl()}${path}`;
  }

  private web(path: string): string {
    return `${this.baseUrl()}${path}`;
  }

  nodeId(kind: string, id: number | string): string {
    return Buffer.from(`0:${kind}${id}`).toString('base64').replace(/=+$/, '');
  }

  simpleUser(account: EmulatedAccount) {
    const url = this.api(`/users/${account.login}`);
    return {
      login: account.login,
      id: account.id,
      node_id: this.nodeId(account.type === 'User' ? 'User' : 'Organization', account.id),
      avatar_url: `${this.baseUrl()}/avatars/u/${account.id}?v=4`,
      gravatar_id: '',
      url,
      html_url: this.web(`/${account.login}`),
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: account.type,
      user_view_type: 'public',
      site_admin: false,
    };
  }

  /** GitHub's `organization-simple`. */
  organizationSimple(org: EmulatedAccount) {
    const url = this.api(`/orgs/${org.login}`);
    return {
      login: org.login,
      id: org.id,
      node_id: this.nodeId('Organization', org.id),
      url,
      repos_url: `${url}/repos`,
      events_url: `${url}/events`,
      hooks_url: `${url}/hooks`,
      issues_url: `${url}/issues`,
      members_url: `${url}/members{/member}`,
      public_members_url: `${url}/public_members{/member}`,
      avatar_url: `${this.baseUrl()}/avatars/u/${org.id}?v=4`,
      description: null,
    };
  }

  /** GET /user/memberships/orgs/{org}: the user's active membership and role. */
  orgMembership(org: EmulatedAccount, user: EmulatedAccount) {
    const role = org.adminIds.has(user.id) ? 'admin' : 'member';
    return {
      url: this.api(`/orgs/${org.login}/memberships/${user.login}`),
      state: 'active',
      role,
      organization_url: this.api(`/orgs/${org.login}`),
      organization: this.organizationSimple(org),
      user: this.simpleUser(user),
      permissions: { can_create_repository: true },
    };
  }

  /** GET /users/{username}: the public profile (GitHub shows an email only when made public). */
  publicUser(account: EmulatedAccount) {
    const repos = this.world.repositoriesOf(account.id);
    return {
      ...this.simpleUser(account),
      user_view_type: 'public',
      name: account.name,
      company: null,
      blog: '',
      location: null,
      email: null as string | null,
      hireable: null,
      bio: null,
      twitter_username: null,
      public_repos: repos.filter((repo) => !repo.private).length,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: account.createdAt,
      updated_at: account.createdAt,
    };
  }

  /** GET /user with a user token: the private view of the signed-in user. */
  privateUser(account: EmulatedAccount) {
    const privateRepos = this.world.repositoriesOf(account.id).filter((repo) => repo.private).length;
    return {
      ...this.publicUser(account),
      user_view_type: 'private',
      email: account.email,
      notification_email: account.email,
      private_gists: 0,
      total_private_repos: privateRepos,
      owned_private_repos: privateRepos,
      disk_usage: 0,
      collaborators: 0,
      two_factor_authentication: true,
    };
  }

  app(app: EmulatedApp) {
    return {
      id: app.id,
      slug: app.slug,
      node_id: this.nodeId('Integration', app.id),
      client_id: app.clientId,
      owner: this.simpleUser(
        this.world.accounts.get(app.ownerId) ?? {
          id: app.ownerId,
          login: 'github-emulator',
          type: 'Organization',
          name: null,
          email: null,
          memberIds: new Set(),
          adminIds: new Set(),
          basePermission: 'none',
          createdAt: app.createdAt,
        },
      ),
      name: app.name,
      description: null,
      external_url: this.web(`/apps/${app.slug}`),
      html_url: this.web(`/apps/${app.slug}`),
      created_at: app.createdAt,
      updated_at: app.createdAt,
      permissions: app.permissions,
      events: app.events,
      installations_count: [...this.world.installations.values()].filter((i) => i.appId === app.id).length,
    };
  }

  installation(installation: EmulatedInstallation) {
    const app = this.world.apps.get(installation.appId);
    const account = this.world.account(installation.accountId);
    return {
      id: installation.id,
      client_id: app?.clientId,
      account: this.simpleUser(account),
      repository_selection: installation.repositorySelection,
      access_tokens_url: this.api(`/app/installations/${installation.id}/access_tokens`),
      repositories_url: this.api('/installation/repositories'),
      html_url:
        account.type === 'Organization'
          ? this.web(`/organizations/${account.login}/settings/installations/${installation.id}`)
          : this.web(`/settings/installations/${installation.id}`),
      app_id: installation.appId,
      app_slug: app?.slug ?? '',
      target_id: account.id,
      target_type: account.type,
      permissions: installation.permissions,
      events: installation.events,
      created_at: installation.createdAt,
      updated_at: installation.updatedAt,
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
      suspended_by:
        installation.suspendedById === null
          ? null
          : this.simpleUser(this.world.account(installation.suspendedById)),
      suspended_at: installation.suspendedAt,
    };
  }

  /** The short repository form used in installation tokens and webhook payloads. */
  repositoryBrief(repo: EmulatedRepository) {
    const owner = this.world.account(repo.ownerId);
    return {
      id: repo.id,
      node_id: this.nodeId('Repository', repo.id),
      name: repo.name,
      full_name: `${owner.login}/${repo.name}`,
      private: repo.private,
    };
  }

  /** GitHub's full repository; `template_repository` names the template it was generated from. */
  repository(repo: EmulatedRepository, viewerId?: number) {
    const template =
      repo.templateRepositoryId === undefined
        ? undefined
        : this.world.repositories.get(repo.templateRepositoryId);
    const fields = this.repositoryFields(repo);
    // To a user's token GitHub reports that user's own permission; to an App's token, everything.
    const own = viewerId === undefined ? undefined : this.world.userPermission(viewerId, repo);
    const withViewer =
      own === undefined
        ? fields
        : {
            ...fields,
            permissions: {
              admin: own === 'admin',
              maintain: own === 'admin',
              push: own === 'admin' || own === 'write',
              triage: own !== 'none' && own !== 'read',
              pull: own !== 'none',
            },
          };
    return template ? { ...withViewer, template_repository: this.repositoryFields(template) } : withViewer;
  }

  private repositoryFields(repo: EmulatedRepository) {
    const owner = this.world.account(repo.ownerId);
    const fullName = `${owner.login}/${repo.name}`;
    const url = this.api(`/repos/${fullName}`);
    const size = [...repo.git.blobs.values()].reduce((sum, blob) => sum + blob.length, 0);
    return {
      id: repo.id,
      node_id: this.nodeId('Repository', repo.id),
      name: repo.name,
      full_name: fullName,
      private: repo.private,
      owner: this.simpleUser(owner),
      html_url: this.web(`/${fullName}`),
      description: repo.description,
      fork: false,
      url,
      archive_url: `${url}/{archive_format}{/ref}`,
      assignees_url: `${url}/assignees{/user}`,
      blobs_url: `${url}/git/blobs{/sha}`,
      branches_url: `${url}/branches{/branch}`,
      collaborators_url: `${url}/collaborators{/collaborator}`,
      comments_url: `${url}/comments{/number}`,
      commits_url: `${url}/commits{/sha}`,
      compare_url: `${url}/compare/{base}...{head}`,
      contents_url: `${url}/contents/{+path}`,
      contributors_url: `${url}/contributors`,
      deployments_url: `${url}/deployments`,
      downloads_url: `${url}/downloads`,
      events_url: `${url}/events`,
      forks_url: `${url}/forks`,
      git_commits_url: `${url}/git/commits{/sha}`,
      git_refs_url: `${url}/git/refs{/sha}`,
      git_tags_url: `${url}/git/tags{/sha}`,
      git_url: `git:${this.baseUrl().replace(/^https?:/, '')}/${fullName}.git`,
      issue_comment_url: `${url}/issues/comments{/number}`,
      issue_events_url: `${url}/issues/events{/number}`,
      issues_url: `${url}/issues{/number}`,
      keys_url: `${url}/keys{/key_id}`,
      labels_url: `${url}/labels{/name}`,
      languages_url: `${url}/languages`,
      merges_url: `${url}/merges`,
      milestones_url: `${url}/milestones{/number}`,
      notifications_url: `${url}/notifications{?since,all,participating}`,
      pulls_url: `${url}/pulls{/number}`,
      releases_url: `${url}/releases{/id}`,
      ssh_url: `git@github.test:${fullName}.git`,
      stargazers_url: `${url}/stargazers`,
      statuses_url: `${url}/statuses/{sha}`,
      subscribers_url: `${url}/subscribers`,
      subscription_url: `${url}/subscription`,
      tags_url: `${url}/tags`,
      teams_url: `${url}/teams`,
      trees_url: `${url}/git/trees{/sha}`,
      clone_url: this.web(`/${fullName}.git`),
      mirror_url: null,
      hooks_url: `${url}/hooks`,
      svn_url: this.web(`/${fullName}`),
      homepage: null,
      language: null,
      forks_count: 0,
      forks: 0,
      stargazers_count: 0,
      watchers_count: 0,
      watchers: 0,
      size: Math.ceil(size / 1024),
      default_branch: repo.defaultBranch,
      open_issues_count: 0,
      open_issues: 0,
      is_template: repo.isTemplate,
      topics: [],
      has_issues: true,
      has_projects: true,
      has_wiki: true,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: repo.archived,
      disabled: false,
      visibility: repo.private ? 'private' : 'public',
      pushed_at: repo.pushedAt,
      created_at: repo.createdAt,
      updated_at: repo.updatedAt,
      permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
      allow_rebase_merge: true,
      allow_squash_merge: true,
      allow_merge_commit: true,
      allow_auto_merge: false,
      delete_branch_on_merge: false,
      allow_forking: true,
      web_commit_signoff_required: false,
      license: null,
      network_count: 0,
      subscribers_count: 1,
    };
  }

  private repoUrl(repo: EmulatedRepository): string {
    return this.api(`/repos/${this.world.account(repo.ownerId).login}/${repo.name}`);
  }

  blob(repo: EmulatedRepository, sha: string) {
    return { url: `${this.repoUrl(repo)}/git/blobs/${sha}`, sha };
  }

  tree(repo: EmulatedRepository, sha: string, entries: TreeEntry[]) {
    const base = this.repoUrl(repo);
    return {
      sha,
      url: `${base}/git/trees/${sha}`,
      truncated: false,
      tree: entries.map((entry) => ({
        path: entry.name,
        mode: entry.mode,
        type: entry.type,
        sha: entry.sha,
        ...(entry.type === 'blob' ? { size: repo.git.blobs.get(entry.sha)?.length ?? 0 } : {}),
        url: `${base}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`,
      })),
    };
  }

  gitCommit(repo: EmulatedRepository, commit: CommitObject) {
    const base = this.repoUrl(repo);
    const owner = this.world.account(repo.ownerId);
    return {
      sha: commit.sha,
      node_id: this.nodeId('Commit', commit.sha),
      url: `${base}/git/commits/${commit.sha}`,
      html_url: this.web(`/${owner.login}/${repo.name}/commit/${commit.sha}`),
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      tree: { sha: commit.tree, url: `${base}/git/trees/${commit.tree}` },
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${base}/git/commits/${sha}`,
        html_url: this.web(`/${owner.login}/${repo.name}/commit/${sha}`),
      })),
      verification: UNSIGNED,
    };
  }

  /** The REST "commit" shape of GET /repos/{owner}/{repo}/commits. */
  commit(repo: EmulatedRepository, commit: CommitObject) {
    const base = this.repoUrl(repo);
    const owner = this.world.account(repo.ownerId);
    return {
      url: `${base}/commits/${commit.sha}`,
      sha: commit.sha,
      node_id: this.nodeId('Commit', commit.sha),
      html_url: this.web(`/${owner.login}/${repo.name}/commit/${commit.sha}`),
      comments_url: `${base}/commits/${commit.sha}/comments`,
      commit: {
        url: `${base}/git/commits/${commit.sha}`,
        author: commit.author,
        committer: commit.committer,
        message: commit.message,
        comment_count: 0,
        tree: { sha: commit.tree, url: `${base}/git/trees/${commit.tree}` },
        verification: UNSIGNED,
      },
      author: null,
      committer: null,
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${base}/commits/${sha}`,
        html_url: this.web(`/${owner.login}/${repo.name}/commit/${sha}`),
      })),
    };
  }

  ref(repo: EmulatedRepository, ref: string, sha: string) {
    const base = this.repoUrl(repo);
    return {
      ref,
      node_id: this.nodeId('Ref', `${repo.id}:${ref}`),
      url: `${base}/git/${ref}`,
      object: { type: 'commit', sha, url: `${base}/git/commits/${sha}` },
    };
  }

  contentFile(repo: EmulatedRepository, path: string, sha: string, content: Buffer, ref: string) {
    const base = this.repoUrl(repo);
    const owner = this.world.account(repo.ownerId);
    const name = path.split('/').pop() ?? path;
    const url = `${base}/contents/${path}?ref=${ref}`;
    const gitUrl = `${base}/git/blobs/${sha}`;
    const htmlUrl = this.web(`/${owner.login}/${repo.name}/blob/${ref}/${path}`);
    // Over 1 MB GitHub answers the file without its content (encoding "none"): read the blob instead.
    const inline = content.length <= 1024 * 1024;
    return {
      type: 'file' as const,
      encoding: inline ? 'base64' : 'none',
      size: content.length,
      name,
      path,
      // GitHub wraps base64 content at 60 characters.
      content: inline ? (content.toString('base64').match(/.{1,60}/g) ?? []).join('\n') + '\n' : '',
      sha,
      url,
      git_url: gitUrl,
      html_url: htmlUrl,
      download_url: `${this.baseUrl()}/raw/${owner.login}/${repo.name}/${ref}/${path}`,
      _links: { self: url, git: gitUrl, html: htmlUrl },
    };
  }

  contentDirectory(repo: EmulatedRepository, path: string, entries: TreeEntry[], ref: string) {
    const base = this.repoUrl(repo);
    const owner = this.world.account(repo.ownerId);
    return entries.map((entry) => {
      const entryPath = path ? `${path}/${entry.name}` : entry.name;
      const isDir = entry.type === 'tree';
      const url = `${base}/contents/${entryPath}?ref=${ref}`;
      const gitUrl = `${base}/git/${isDir ? 'trees' : 'blobs'}/${entry.sha}`;
      const htmlUrl = this.web(`/${owner.login}/${repo.name}/${isDir ? 'tree' : 'blob'}/${ref}/${entryPath}`);
      return {
        // Symlinks are listed as such; submodules as "file" (GitHub keeps that for compatibility).
        type: isDir ? 'dir' : entry.mode === '120000' ? 'symlink' : 'file',
        size: isDir ? 0 : (repo.git.blobs.get(entry.sha)?.length ?? 0),
        name: entry.name,
        path: entryPath,
        sha: entry.sha,
        url,
        git_url: gitUrl,
        html_url: htmlUrl,
        download_url: isDir ? null : `${this.baseUrl()}/raw/${owner.login}/${repo.name}/${ref}/${entryPath}`,
        _links: { self: url, git: gitUrl, html: htmlUrl },
      };
    });
  }
}
