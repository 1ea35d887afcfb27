import { json, type Route } from '../http.js';
import { deleteRepository, parseRepositoryUpdate, updateRepository } from '../repository-changes.js';
import { accessRepository, senderOf } from './repository-access.js';

/**
 * A repository's settings: PATCH (rename keeping the id, archive/unarchive, visibility, template,
 * description, default branch) and DELETE, both needing `administration: write`. An archived
 * repository refuses every change but unarchiving (403, read-only); it can still be deleted.
 */
export const repoSettingsRoutes: Route[] = [
  {
    method: 'PATCH',
    template: '/repos/{owner}/{repo}',
    kind: 'rest',
    handle: async (request, context) => {
      const { repo, credential } = accessRepository(request, context, 'administration', 'write', {
        archivedWritable: true,
      });
      const update = parseRepositoryUpdate(request.body);
      await updateRepository(context, repo, update, senderOf(context, credential));
      return json(200, context.serializer.repository(repo));
    },
  },
  {
    method: 'DELETE',
    template: '/repos/{owner}/{repo}',
    kind: 'rest',
    handle: async (request, context) => {
      const { repo, credential } = accessRepository(request, context, 'administration', 'write', {
        archivedWritable: true,
      });
      await deleteRepository(context, repo, senderOf(context, credential));
      return { status: 204 };
    },
  },
];
