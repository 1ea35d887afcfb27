import { BadRequestError, ForbiddenError } from '../shared/errors.js';
import type { TokenPermissionLevel } from '../shared/store/service-access-store.js';

/** A repository as asked for: `owner/name`, compared lower-case as GitHub compares names. */
export type RequestedRepository = { owner: string; name: string; fullName: string };

export type VendRequest = {
  repositories: RequestedRepository[];
  permissions: Record<string, TokenPermissionLevel>;
};

/** GitHub narrows one token to at most 500 repositories; a back-end asks for the few it works on. */
export const VEND_LIMITS = { repositories: 100, permissions: 30, tokenLength: 4096 } as const;

const FULL_NAME = /^([A-Za-z0-9-]{1,39})\/([A-Za-z0-9._-]{1,100})$/;
/** GitHub's permission names: `contents`, `pull_requests`, `organization_administration`, … */
const PERMISSION = /^[a-z][a-z_]{0,63}$/;

const invalid = (message: string) => new BadRequestError('invalid_request', message);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{ repositories: ["owner/name", …], permissions: { name: "read" | "write" } }`, or 400 naming the fault. */
export function parseVendRequest(body: unknown): VendRequest {
  if (!isRecord(body))
    throw invalid('The body is a JSON object: { "repositories": [...], "permissions": {...} }.');
  const { repositories, permissions } = body;
  if (!Array.isArray(repositories) || repositories.length === 0)
    throw invalid('repositories is a non-empty array of "owner/name".');
  if (repositories.length > VEND_LIMITS.repositories)
    throw invalid(`A token is narrowed to at most ${VEND_LIMITS.repositories} repositories.`);
  const seen = new Map<string, RequestedRepository>();
  for (const entry of repositories as unknown[]) {
    const match = typeof entry === 'string' ? FULL_NAME.exec(entry) : null;
    if (!match?.[1] || !match[2] || match[2] === '.' || match[2] === '..')
      throw invalid(`"${String(entry).slice(0, 150)}" is not a repository as "owner/name".`);
    const owner = match[1].toLowerCase();
    const name = match[2].toLowerCase();
    seen.set(`${owner}/${name}`, { owner, name, fullName: `${owner}/${name}` });
  }
  if (!isRecord(permissions) || Object.keys(permissions).length === 0)
    throw invalid('permissions is a non-empty object such as { "contents": "read" }.');
  if (Object.keys(permissions).length > VEND_LIMITS.permissions)
    throw invalid(`At most ${VEND_LIMITS.permissions} permissions.`);
  const levels: Record<string, TokenPermissionLevel> = {};
  for (const [name, level] of Object.entries(permissions)) {
    if (!PERMISSION.test(name)) throw invalid(`"${name.slice(0, 64)}" is not a GitHub App permission name.`);
    if (level !== 'read' && level !== 'write') throw invalid(`permissions.${name} is "read" or "write".`);
    levels[name] = level;
  }
  return {
    repositories: [...seen.values()].sort((a, b) => (a.fullName < b.fullName ? -1 : 1)),
    permissions: levels,
  };
}

/** `{ "token": "ghs_…" }`, or 400. The token is never echoed, not even in part. */
export function parseRevokeRequest(body: unknown): { token: string } {
  const token = isRecord(body) ? body.token : undefined;
  if (typeof token !== 'string' || token.length === 0 || token.length > VEND_LIMITS.tokenLength)
    throw invalid('The body is { "token": "<the installation token to revoke>" }.');
  return { token };
}

/** `{accountId}` on a /service route: anything malformed is refused as any account without a grant. */
export function serviceAccountParam(value: string | undefined): string {
  if (!value || !/^[A-Za-z0-9_-]{1,64}$/.test(value))
    throw new ForbiddenError(
      'service_access_denied',
      'No service access policy of this account names your role.',
    );
  return value;
}
