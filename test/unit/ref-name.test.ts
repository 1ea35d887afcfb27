import { execFileSync } from 'node:child_process';
import { refNameProblem } from '../../functions/shared/git/ref-name.js';
import { withCoAuthor } from '../../functions/repositories/commit-changes.js';

const VALID = ['main', 'feature/one', 'ü-branch', 'a@b', '@x', 'release-1.2', 'refs/heads/x', 'a.b/c'];
const INVALID = [
  '',
  'a..b',
  'x.lock',
  'foo.lock/bar',
  '-x',
  'HEAD',
  '@',
  'a@{1',
  'a/.b',
  '.x',
  'a.',
  'a//b',
  'x/',
  '/x',
  'a b',
  'a^b',
  'a~1',
  'a:b',
  'a?b',
  'a*b',
  'a[b',
  'a\\b',
  'a\u0001b',
  'a\u007fb',
  'x'.repeat(256),
];

function gitAccepts(name: string): boolean | undefined {
  try {
    execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return false;
  }
}

describe('refNameProblem (git check-ref-format --branch)', () => {
  it('accepts what Git accepts and refuses what it refuses', () => {
    expect(VALID.filter((name) => refNameProblem(name) !== undefined)).toEqual([]);
    expect(INVALID.filter((name) => refNameProblem(name) === undefined)).toEqual([]);
  });

  it('agrees with git itself where git is installed (except `@`, which --branch reads as HEAD)', () => {
    const checked = [...VALID, ...INVALID].filter(
      (name) => name !== '@' && name.length <= 255 && name !== '',
    );
    const disagreements = checked.filter((name) => {
      const git = gitAccepts(name);
      return git !== undefined && git !== (refNameProblem(name) === undefined);
    });
    expect(disagreements).toEqual([]);
  });
});

describe('withCoAuthor', () => {
  const user = { id: 42, login: 'bob' };
  const trailer = 'Co-authored-by: bob <42+bob@users.noreply.github.com>';
  it('starts a trailer paragraph, or joins the one the message ends with', () => {
    expect(withCoAuthor('Fix it\n\n', user)).toBe(`Fix it\n\n${trailer}\n`);
    expect(withCoAuthor('Fix it\n\nBody text.', user)).toBe(`Fix it\n\nBody text.\n\n${trailer}\n`);
    expect(withCoAuthor('Fix it\n\nSigned-off-by: A <a@x>', user)).toBe(
      `Fix it\n\nSigned-off-by: A <a@x>\n${trailer}\n`,
    );
    expect(withCoAuthor(`Fix it\n\n${trailer}`, user)).toBe(`Fix it\n\n${trailer}\n`);
  });
});
