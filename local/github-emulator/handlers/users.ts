import { GitHubError } from '../errors.js';
import { json, type Route } from '../http.js';

/** GitHub's 404 for a login nobody holds (the same answer whether or not the caller is signed in). */
const noSuchUser = () =>
  new GitHubError(404, 'Not Found', {
    documentation_url: 'https://docs.github.com/rest/users/users#get-a-user',
  });

/** Public profiles by login: `GET /users/{username}` (any credential, or none). */
export const usersRoutes: Route[] = [
  {
    method: 'GET',
    template: '/users/{username}',
    kind: 'rest',
    handle: (request, { world, serializer }) => {
      if (request.credential.kind === 'invalid') throw request.credential.error;
      // Logins are case-insensitive and a renamed account's old login belongs to nobody (or to whoever took it).
      const account = world.accountByLogin(request.params.username ?? '');
      if (!account) throw noSuchUser();
      return json(200, serializer.publicUser(account));
    },
  },
];
