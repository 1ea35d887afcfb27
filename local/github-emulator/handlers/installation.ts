import { badCredentials, GitHubError, requiresAuthentication } from '../errors.js';
import { installationRepositories } from '../events.js';
import { json, type Route } from '../http.js';
import { paginate } from './paginate.js';

/** Endpoints that act as an installation (installation access token). */
export const installationRoutes: Route[] = [
  {
    method: 'GET',
    template: '/installation/repositories',
    kind: 'rest',
    handle: (request, context) => {
      const { credential } = request;
      if (credential.kind === 'invalid') throw credential.error;
      if (credential.kind === 'none') throw requiresAuthentication();
      if (credential.kind !== 'installation_token') {
        throw new GitHubError(
          403,
          'You must authenticate with an installation access token in order to list repositories for an installation.',
        );
      }
      const { installation, token } = credential;
      // GitHub refuses every call made with a suspended installation's tokens, even unexpired ones.
      if (installation.suspendedAt) throw new GitHubError(403, 'This installation has been suspended');
      // The installation's selection, further narrowed to the repositories the token was minted for.
      // Ordered by id (GitHub documents no order; by id keeps pages stable while nothing changes);
      // installationRepositories keeps that order without sorting per page.
      const reachable = installationRepositories(context, installation);
      const narrowed = token.repositoryIds;
      const all = narrowed ? reachable.filter((repo) => narrowed.has(repo.id)) : reachable;
      const { items, headers } = paginate(request, all);
      return json(
        200,
        {
          total_count: all.length,
          repository_selection: token.repositoryIds ? 'selected' : installation.repositorySelection,
          repositories: items.map((repo) => context.serializer.repository(repo)),
        },
        headers,
      );
    },
  },
  {
    // "Revoke an installation access token": the token revokes itself. 204; from then on GitHub answers
    // 401 Bad credentials to it, a second DELETE included (the credential no longer resolves).
    method: 'DELETE',
    template: '/installation/token',
    kind: 'rest',
    handle: (request, context) => {
      const { credential } = request;
      if (credential.kind === 'invalid') throw credential.error;
      if (credential.kind === 'none') throw requiresAuthentication();
      if (credential.kind !== 'installation_token') throw badCredentials();
      context.world.revokeInstallationToken(credential.token.token);
      return { status: 204 };
    },
  },
];
