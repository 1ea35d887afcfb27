import type { components } from '@octokit/openapi-types';
import { BadRequestError } from '../errors.js';
import type { TokenPermissionLevel } from '../store/service-access-store.js';
import { listed } from './listed.js';

/** GitHub's App permissions schema (`app-permissions`): what `POST /app/installations/{id}/access_tokens` takes. */
type AppPermissions = components['schemas']['app-permissions'];

/**
 * The repository permissions a token narrowed to repositories can carry, with the levels a policy may
 * grant of each: the repository-level part of GitHub's `app-permissions` (organisation and account
 * permissions mean nothing on a repository token). The compiler holds each name and level to GitHub's
 * schema; `metadata` is read only (GitHub grants it with any other), `workflows` write only, and
 * `repository_projects`' `admin` is left out (a policy grants at most `write`).
 */
const LEVELS = {
  actions: ['read', 'write'],
  administration: ['read', 'write'],
  artifact_metadata: ['read', 'write'],
  attestations: ['read', 'write'],
  checks: ['read', 'write'],
  code_quality: ['read', 'write'],
  codespaces: ['read', 'write'],
  contents: ['read', 'write'],
  dependabot_secrets: ['read', 'write'],
  deployments: ['read', 'write'],
  discussions: ['read', 'write'],
  environments: ['read', 'write'],
  issues: ['read', 'write'],
  merge_queues: ['read', 'write'],
  metadata: ['read'],
  packages: ['read', 'write'],
  pages: ['read', 'write'],
  pull_requests: ['read', 'write'],
  repository_custom_properties: ['read', 'write'],
  repository_hooks: ['read', 'write'],
  repository_projects: ['read', 'write'],
  secret_scanning_alerts: ['read', 'write'],
  secrets: ['read', 'write'],
  security_events: ['read', 'write'],
  single_file: ['read', 'write'],
  statuses: ['read', 'write'],
  vulnerability_alerts: ['read', 'write'],
  workflows: ['write'],
} as const satisfies { [K in keyof AppPermissions]?: ReadonlyArray<NonNullable<AppPermissions[K]>> };

export type RepositoryPermission = keyof typeof LEVELS;

/** The repository permissions and the levels a policy may grant of each (docs/token-vending.md). */
export const REPOSITORY_PERMISSIONS: Readonly<Record<RepositoryPermission, readonly TokenPermissionLevel[]>> =
  LEVELS;

export const isRepositoryPermission = (name: string): name is RepositoryPermission =>
  Object.hasOwn(LEVELS, name);

/** `write` covers `read`: whether `granted` allows asking for `wanted`. */
export const levelCovers = (granted: TokenPermissionLevel, wanted: TokenPermissionLevel): boolean =>
  granted === 'write' || wanted === 'read';

const invalid = (message: string) => new BadRequestError('invalid_permissions', message);

/**
 * A policy's permission ceiling from a request body: a non-empty map of repository permission names to
 * `read` or `write`. 400 `invalid_permissions` naming every unknown name, then every level not granted.
 */
export function parsePermissions(
  value: Readonly<Record<string, string>>,
): Record<string, TokenPermissionLevel> {
  const entries = Object.entries(value);
  if (entries.length === 0)
    throw invalid('permissions names at least one repository permission, e.g. { "contents": "read" }.');
  const unknown = entries.map(([name]) => name).filter((name) => !isRepositoryPermission(name));
  if (unknown.length > 0)
    throw invalid(
      `Not repository permissions of GitHub Apps: ${listed(unknown)}. Known: ${Object.keys(LEVELS).join(', ')}.`,
    );
  const badLevels = entries.filter(
    ([name, level]) =>
      !(REPOSITORY_PERMISSIONS[name as RepositoryPermission] as readonly string[]).includes(level),
  );
  if (badLevels.length > 0)
    throw invalid(
      `Levels not available: ${badLevels
        .map(
          ([name, level]) =>
            `${name}: ${JSON.stringify(level)} (${REPOSITORY_PERMISSIONS[name as RepositoryPermission].join(' or ')})`,
        )
        .join(', ')}.`,
    );
  // Sorted by name: stored, compared and shown in one order.
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as Record<
    string,
    TokenPermissionLevel
  >;
}
