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
      const repos = world.repositoriesOf(account.id);
      return json(200, {
        ...serializer.simpleUser(account),
        user_view_type: 'public',
        name: account.name,
        company: null,
        blog: '',
        location: null,
        // GitHub shows an email only when its owner made it public.
        email: null,
        hireable: null,
        bio: null,
        twitter_username: null,
        public_repos: repos.filter((repo) => !repo.private).length,
        public_gists: 0,
        followers: 0,
        following: 0,
        created_at: account.createdAt,
        updated_at: account.createdAt,
      });
    },
  },
];
