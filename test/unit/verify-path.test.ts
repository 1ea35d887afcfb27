import { isDotGitAlias, isValidGitPath, pathProblem } from '../../functions/shared/git/verify-path.js';

describe('pathProblem (Git verify_path rules)', () => {
  it.each([
    // The attacker's paths from issue #10.
    ['.git./hooks/x', 'dot_git'],
    ['.git /config', 'dot_git'],
    ['git~1/config', 'dot_git'],
    ['.g\u200cit/config', 'dot_git'],
    // Git's own rule, any letter case, at any depth.
    ['.git', 'dot_git'],
    ['.GIT/config', 'dot_git'],
    ['src/.Git/hooks/pre-commit', 'dot_git'],
    // NTFS: trailing dots and spaces, 8.3 short name, alternate data streams.
    ['.git. . ./config', 'dot_git'],
    ['GIT~1/config', 'dot_git'],
    ['git~1. /config', 'dot_git'],
    ['.git::$INDEX_ALLOCATION/config', 'dot_git'],
    ['.git:/config', 'dot_git'],
    ['a/.git:stream', 'dot_git'],
    // HFS+: ignorable code points anywhere inside the name.
    ['\u200d.git/config', 'dot_git'],
    ['.gi\u200et/config', 'dot_git'],
    ['.git\ufeff/config', 'dot_git'],
    ['.\u202eGIT\u206f/config', 'dot_git'],
    // Malformed paths.
    ['', 'empty'],
    ['/etc/passwd', 'absolute'],
    ['a//b', 'empty_segment'],
    ['dir/', 'empty_segment'],
    ['.', 'dot_segment'],
    ['./a', 'dot_segment'],
    ['a/../b', 'dot_segment'],
    ['..', 'dot_segment'],
    ['a\\b', 'backslash'],
    ['.git\\config', 'backslash'],
    ['a\nb', 'control_character'],
    ['a\u0000b', 'control_character'],
    ['tab\there', 'control_character'],
    ['a\u007f', 'control_character'],
    ['bad\ud800', 'malformed_unicode'],
    ['x'.repeat(1025), 'too_long'],
  ])('refuses %j (%s)', (path, problem) => {
    expect(pathProblem(path)).toBe(problem);
    expect(isValidGitPath(path)).toBe(false);
  });

  it.each([
    '.github/workflows/ci.yml',
    '.gitignore',
    '.gitattributes',
    '.gitmodules',
    '.git-blame-ignore-revs',
    '.github',
    'src/index.ts',
    'docs/git.md',
    'git/README.md',
    'my.git.notes/a',
    'git~2/x',
    '.gitx/config',
    '...',
    'a..b/c',
    'names with spaces/ok.txt',
    'unicode/日本語.md',
    'emoji/🙂.txt',
    'x'.repeat(1024),
  ])('accepts %j', (path) => {
    expect(pathProblem(path)).toBeUndefined();
    expect(isValidGitPath(path)).toBe(true);
  });
});

describe('isDotGitAlias', () => {
  it('judges single segments', () => {
    expect(isDotGitAlias('.GiT')).toBe(true);
    expect(isDotGitAlias('.git...   ')).toBe(true);
    expect(isDotGitAlias('.gitignore')).toBe(false);
    expect(isDotGitAlias('git')).toBe(false);
  });
});
