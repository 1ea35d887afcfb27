import { BadRequestError } from '../../functions/shared/errors.js';
import {
  inScope,
  parseScope,
  readScope,
  scopeRanges,
  type ScopeInput,
} from '../../functions/shared/installations/repository-scope.js';

function refusal(input: ScopeInput): string | undefined {
  try {
    parseScope(input);
    return undefined;
  } catch (error) {
    return error instanceof BadRequestError ? `${error.code}: ${error.message}` : 'unexpected';
  }
}

describe('parseScope', () => {
  it('both absent or null: every repository (null)', () => {
    expect(parseScope({})).toBeNull();
    expect(parseScope({ repositories: null, patterns: null })).toBeNull();
  });

  it('lower-cases, deduplicates and sorts names and patterns', () => {
    expect(parseScope({ repositories: ['Web', 'api', 'WEB'], patterns: ['Team-A-*'] })).toEqual({
      repositories: ['api', 'web'],
      patterns: ['team-a-*'],
    });
    expect(parseScope({ patterns: ['svc-*'] })).toEqual({ repositories: [], patterns: ['svc-*'] });
  });

  it('refuses an empty scope (it would reach nothing): null for both reaches everything', () => {
    expect(refusal({ repositories: [], patterns: [] })).toMatch(/^invalid_scope: .*null for both/);
    expect(refusal({ repositories: [] })).toMatch(/^invalid_scope/);
  });

  it.each([
    ['owner/name', 'not a repository name'],
    ['..', 'not a repository name'],
    ['a b', 'not a repository name'],
    ['x'.repeat(101), 'not a repository name'],
  ])('refuses the name %j', (name, message) => {
    expect(refusal({ repositories: [name] })).toContain(message);
  });

  it.each([['*'], ['team-*-a'], ['*-api'], ['team-a'], ['team-a**'], ['a/b*']])(
    'refuses the pattern %j (a name prefix and one trailing *)',
    (pattern) => {
      expect(refusal({ patterns: [pattern] })).toContain('not a pattern');
    },
  );

  it('limits the number of names and patterns', () => {
    const names = Array.from({ length: 101 }, (_, i) => `repo-${i}`);
    expect(refusal({ repositories: names })).toContain('at most 100 repositories');
    const patterns = Array.from({ length: 21 }, (_, i) => `p${i}-*`);
    expect(refusal({ patterns })).toContain('at most 20 patterns');
  });
});

describe('inScope', () => {
  const scope = { repositories: ['api'], patterns: ['team-a-*'] };

  it('a null scope reaches every repository', () => {
    expect(inScope(null, 'anything')).toBe(true);
  });

  it('names match exactly, in any case; patterns by prefix', () => {
    expect(inScope(scope, 'API')).toBe(true);
    expect(inScope(scope, 'api-2')).toBe(false);
    expect(inScope(scope, 'team-a-web')).toBe(true);
    expect(inScope(scope, 'Team-A-')).toBe(true);
    expect(inScope(scope, 'team-b-web')).toBe(false);
    expect(inScope(scope, 'team-a')).toBe(false);
  });

  it('a stored scope that names nothing reaches nothing (never everything)', () => {
    expect(inScope(readScope({}), 'api')).toBe(false);
    expect(inScope(readScope('garbage'), 'api')).toBe(false);
  });
});

describe('scopeRanges', () => {
  it('drops names and prefixes a shorter prefix covers, in name order', () => {
    expect(
      scopeRanges({
        repositories: ['zeta', 'team-a-web', 'alpha'],
        patterns: ['team-a-*', 'team-*', 'web-*'],
      }),
    ).toEqual([
      { kind: 'exact', name: 'alpha' },
      { kind: 'prefix', prefix: 'team-' },
      { kind: 'prefix', prefix: 'web-' },
      { kind: 'exact', name: 'zeta' },
    ]);
  });
});
