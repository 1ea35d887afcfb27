import { checkCreationPolicy, specialRepositoryName } from '../../functions/create-repo/creation-policy.js';
import { ForbiddenError } from '../../functions/shared/errors.js';

const org = { login: 'Octo-Org', type: 'Organization' as const };
const user = { login: 'Alice', type: 'User' as const };

function outcome(request: Parameters<typeof checkCreationPolicy>[0]): string {
  try {
    checkCreationPolicy(request);
    return 'allowed';
  } catch (error) {
    if (error instanceof ForbiddenError) return error.code;
    throw error;
  }
}

describe('checkCreationPolicy', () => {
  it('lets a member create an ordinary private repository', () => {
    expect(outcome({ role: 'member', owner: org, name: 'service-a', visibility: 'private' })).toBe('allowed');
    expect(outcome({ role: 'member', owner: user, name: 'notes', visibility: 'private' })).toBe('allowed');
  });

  it('refuses a member a public repository', () => {
    expect(outcome({ role: 'member', owner: org, name: 'service-a', visibility: 'public' })).toBe(
      'insufficient_role',
    );
  });

  it.each([
    [org, '.github'],
    [org, '.GitHub'],
    [org, '.github-private'],
    [org, '.GITHUB-PRIVATE'],
    [org, 'octo-org.github.io'],
    [org, 'OCTO-ORG.GitHub.IO'],
    [user, '.github'],
    [user, 'alice.github.io'],
    [user, 'alice'],
    [user, 'ALICE'],
  ])('refuses a member the special repository %j / %s, even private', (owner, name) => {
    expect(outcome({ role: 'member', owner, name, visibility: 'private' })).toBe('insufficient_role');
  });

  it.each(['owner', 'admin'] as const)('lets an %s create public and special repositories', (role) => {
    for (const name of ['.github', '.github-private', 'octo-org.github.io', 'service-b']) {
      expect(outcome({ role, owner: org, name, visibility: 'public' })).toBe('allowed');
    }
    expect(outcome({ role, owner: user, name: 'alice', visibility: 'public' })).toBe('allowed');
  });
});

describe('specialRepositoryName', () => {
  it('knows only names GitHub treats specially', () => {
    expect(specialRepositoryName(org, 'octo-org')).toBeUndefined(); // an org has no profile repository
    expect(specialRepositoryName(org, 'other.github.io')).toBeUndefined();
    expect(specialRepositoryName(org, 'github')).toBeUndefined();
    expect(specialRepositoryName(org, '.github.io')).toBeUndefined();
    expect(specialRepositoryName(user, 'alice-notes')).toBeUndefined();
    expect(specialRepositoryName(user, 'alice')).toMatch(/profile/);
  });
});
