import { GitHubError } from '../errors.js';
import { json, stringField, type Route } from '../http.js';

/**
 * The default vocabulary of bulk repository names: team, domain and kind, as organisations name their
 * repositories (`growth-payments-api-123`), so that a search by word prefix finds a realistic share.
 */
export const BULK_WORDS: readonly (readonly string[])[] = [
  ['core', 'growth', 'platform', 'data', 'mobile', 'web', 'infra', 'security', 'search', 'billing'],
  [
    'payments',
    'orders',
    'users',
    'catalog',
    'inventory',
    'shipping',
    'auth',
    'notifications',
    'analytics',
    'reports',
  ],
  ['api', 'service', 'worker', 'ui', 'lib', 'cli', 'docs', 'terraform', 'sdk', 'jobs'],
];

/** At most this many per call: 100,000 takes a few calls of a second or so each. */
export const BULK_MAX = 50_000;

/**
 * The name of the `index`-th (0-based) repository of a bulk creation: one word of each group, cycling
 * through the first group fastest, then the sequence number (`prefix-` first when given). Exported so
 * that a bench knows which names exist without listing them.
 */
export function bulkRepositoryName(
  index: number,
  prefix: string | undefined,
  words: readonly (readonly string[])[] = BULK_WORDS,
): string {
  let rest = index;
  const parts: string[] = [];
  for (const group of words) {
    parts.push(group[rest % group.length] ?? 'repo');
    rest = Math.floor(rest / group.length);
  }
  return [...(prefix ? [prefix] : []), ...parts, String(index + 1)].join('-');
}

const bad = (message: string) => new GitHubError(400, message);

function parseWords(value: unknown): readonly (readonly string[])[] {
  if (value === undefined) return BULK_WORDS;
  const valid =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (group) =>
        Array.isArray(group) &&
        group.length > 0 &&
        group.every((word) => typeof word === 'string' && /^[A-Za-z0-9._]{1,20}$/.test(word)),
    );
  if (!valid)
    throw bad('words must be a list of non-empty lists of words ([A-Za-z0-9._], 1 to 20 characters)');
  return value as string[][];
}

/**
 * `POST /_emulator/users/{login}/repos/bulk {count, prefix?, words?, private?}`: many repositories at
 * once, for scale benchmarks. Unlike POST /_emulator/users/{login}/repos they have no commit (empty
 * repositories) and send no webhooks: an App learns of them only by listing, as after lost deliveries.
 */
export const bulkRoutes: Route[] = [
  {
    method: 'POST',
    template: '/_emulator/users/{login}/repos/bulk',
    kind: 'admin',
    handle: (request, context) => {
      const { world } = context;
      const owner = world.accountByLogin(request.params.login ?? '');
      if (!owner) throw bad(`No account with login ${request.params.login ?? ''}`);
      const body = request.body ?? {};
      const count = body.count;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > BULK_MAX)
        throw bad(`count must be an integer from 1 to ${BULK_MAX}`);
      const prefix = stringField(body, 'prefix');
      if (prefix !== undefined && !/^[A-Za-z0-9._-]{1,40}$/.test(prefix))
        throw bad('prefix must be 1 to 40 of [A-Za-z0-9._-]');
      const words = parseWords(body.words);
      const start = typeof body.start === 'number' && Number.isInteger(body.start) ? body.start : 0;
      if (start < 0) throw bad('start must be an integer ≥ 0');
      const names = Array.from({ length: count }, (_, i) => bulkRepositoryName(start + i, prefix, words));
      // One set of the owner's names, not a scan per name: the owner may already hold 100,000.
      const taken = new Set(world.repositoriesOf(owner.id).map((repo) => repo.name.toLowerCase()));
      for (const name of names) {
        if (name.length > 100 || taken.has(name.toLowerCase()))
          throw bad(`${owner.login}/${name}: invalid or taken name`);
        taken.add(name.toLowerCase());
      }
      let firstId = 0;
      let lastId = 0;
      names.forEach((name, i) => {
        const repo = world.createRepository({
          ownerId: owner.id,
          name,
          description: null,
          private: body.private === true,
        });
        if (i === 0) firstId = repo.id;
        lastId = repo.id;
      });
      return json(201, {
        owner: owner.login,
        count,
        firstId,
        lastId,
        first: names[0],
        last: names[names.length - 1],
      });
    },
  },
];
