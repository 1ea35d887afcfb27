import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import {
  levelCovers,
  parsePermissions,
  REPOSITORY_PERMISSIONS,
} from '../../functions/shared/service-access/permissions.js';
import { parseRepositoryNames } from '../../functions/shared/service-access/repositories.js';

/**
 * The permission ceiling of a service access policy (docs/token-vending.md "Service access policies"):
 * names and levels are GitHub's, from its published OpenAPI description (@octokit/openapi), read here
 * as data; the compiler checks the same against @octokit/openapi-types.
 */
type Schema = { properties: Record<string, { enum?: string[] }> };
const description = JSON.parse(
  readFileSync(
    createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json'),
    'utf8',
  ),
) as { components: { schemas: Record<string, Schema> } };
const appPermissions = description.components.schemas['app-permissions']?.properties ?? {};

/** The error `fn` throws (the test fails when it throws none). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('REPOSITORY_PERMISSIONS', () => {
  it("is the repository part of GitHub's app-permissions (everything up to workflows, in GitHub's order)", () => {
    const names = Object.keys(appPermissions);
    const repositoryPart = names.slice(0, names.indexOf('workflows') + 1);
    expect(repositoryPart.length).toBeGreaterThan(20);
    expect(Object.keys(REPOSITORY_PERMISSIONS)).toEqual(repositoryPart);
  });

  it.each(Object.entries(REPOSITORY_PERMISSIONS))(
    '%s: every level granted is one GitHub takes',
    (name, levels) => {
      expect(levels.length).toBeGreaterThan(0);
      for (const level of levels) expect(appPermissions[name]?.enum).toContain(level);
    },
  );

  it('metadata is read only, workflows write only', () => {
    expect(REPOSITORY_PERMISSIONS.metadata).toEqual(['read']);
    expect(REPOSITORY_PERMISSIONS.workflows).toEqual(['write']);
  });
});

describe('parsePermissions', () => {
  it('keeps a valid ceiling, sorted by name', () => {
    expect(
      Object.entries(parsePermissions({ statuses: 'write', contents: 'read', metadata: 'read' })),
    ).toEqual([
      ['contents', 'read'],
      ['metadata', 'read'],
      ['statuses', 'write'],
    ]);
  });

  it.each([
    [{}, /at least one/],
    [{ contents: 'read', members: 'read' }, /"members"/],
    [{ organization_hooks: 'write' }, /"organization_hooks"/],
    [{ toString: 'read' }, /"toString"/],
    [{ metadata: 'write' }, /metadata: "write" \(read\)/],
    [
      { contents: 'admin', repository_projects: 'admin' },
      /contents: "admin" \(read or write\), repository_projects/,
    ],
  ])('refuses %j with 400 invalid_permissions naming what is wrong', (value, message) => {
    const error = thrown(() => parsePermissions(value));
    expect(error).toMatchObject({ statusCode: 400, code: 'invalid_permissions' });
    expect(error.message).toMatch(message);
  });

  it('names at most ten unknown names, and says how many more', () => {
    const many = Object.fromEntries(Array.from({ length: 14 }, (_, n) => [`nope_${n}`, 'read']));
    expect(() => parsePermissions(many)).toThrow(/"nope_9" and 4 more/);
  });
});

describe('levelCovers', () => {
  it('write covers read; read covers only read', () => {
    expect([
      levelCovers('write', 'read'),
      levelCovers('write', 'write'),
      levelCovers('read', 'read'),
      levelCovers('read', 'write'),
    ]).toEqual([true, true, true, false]);
  });
});

describe('parseRepositoryNames', () => {
  it('lower-cases, deduplicates and sorts owner/name', () => {
    expect(parseRepositoryNames(['Octo-Org/Web', 'octo-org/api', 'OCTO-ORG/API', 'a/b.c_d-e'])).toEqual([
      'a/b.c_d-e',
      'octo-org/api',
      'octo-org/web',
    ]);
  });

  it.each([
    ['api'],
    ['octo-org/'],
    ['/api'],
    ['octo-org/api/x'],
    ['octo-org/..'],
    ['octo org/api'],
    ['o/' + 'x'.repeat(101)],
  ])('refuses %j with 400 invalid_repositories naming it', (name) => {
    const error = thrown(() => parseRepositoryNames([name]));
    expect(error).toMatchObject({ statusCode: 400, code: 'invalid_repositories' });
    expect(error.message).toContain(JSON.stringify(name.slice(0, 150)));
  });

  it('refuses an empty list and more than 100 distinct names', () => {
    expect(thrown(() => parseRepositoryNames([]))).toMatchObject({ code: 'invalid_repositories' });
    const names = Array.from({ length: 101 }, (_, n) => `o/r${n}`);
    expect(thrown(() => parseRepositoryNames(names))).toMatchObject({ code: 'invalid_repositories' });
    expect(parseRepositoryNames([...names.slice(0, 100), 'O/R0'])).toHaveLength(100);
  });
});
