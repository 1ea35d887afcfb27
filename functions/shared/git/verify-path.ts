/**
 * Whether a path may name a file in a Git tree, by the rules Git itself applies before it writes a path
 * into its index or a checkout (read-cache.c `verify_path`/`verify_dotfile`, path.c `is_ntfs_dotgit`,
 * utf8.c `is_hfs_dotgit`), with its Windows and macOS protections always on, because whoever checks the
 * repository out may be on either. Stricter than Git in a few places on purpose: no backslashes, no
 * control characters, no unpaired UTF-16 surrogates (they cannot be encoded as UTF-8).
 *
 * Used for every path the service writes into a repository.
 */

/**
 * Code points HFS+ ignores when it compares names, so `.g\u200cit` is `.git` on a Mac (utf8.c,
 * `next_hfs_char`).
 */
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/gu;

/**
 * True when one path segment would be (or alias) the `.git` directory somewhere:
 * - Git's own rule: `.git` in any letter case;
 * - HFS+: the same after dropping the ignored code points;
 * - NTFS: trailing dots and spaces are dropped, `:` starts an alternate data stream
 *   (`.git::$INDEX_ALLOCATION`), and `git~1` is the 8.3 short name of `.git`.
 * Checked together (ignored code points removed first), which refuses a little more than Git does and
 * nothing an ordinary project needs.
 */
export function isDotGitAlias(segment: string): boolean {
  const folded = segment.replace(HFS_IGNORED, '').toLowerCase();
  const beforeStream = folded.split(':', 1)[0] ?? '';
  const trimmed = beforeStream.replace(/[. ]+$/, '');
  return trimmed === '.git' || trimmed === 'git~1';
}

/** Half of a UTF-16 surrogate pair without its other half: not a character, not encodable as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export type PathProblem =
  | 'empty'
  | 'too_long'
  | 'absolute'
  | 'backslash'
  | 'control_character'
  | 'malformed_unicode'
  | 'empty_segment'
  | 'dot_segment'
  | 'dot_git';

/** Why Git would refuse `path` as a file's path, or undefined when it is fine. */
export function pathProblem(path: string, maxLength = 1024): PathProblem | undefined {
  if (path.length === 0) return 'empty';
  if (path.length > maxLength) return 'too_long';
  if (path.startsWith('/')) return 'absolute';
  if (path.includes('\\')) return 'backslash';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'control_character';
  if (LONE_SURROGATE.test(path)) return 'malformed_unicode';
  for (const segment of path.split('/')) {
    // Also refuses a trailing slash: that would name a directory, not a file.
    if (segment === '') return 'empty_segment';
    if (segment === '.' || segment === '..') return 'dot_segment';
    if (isDotGitAlias(segment)) return 'dot_git';
  }
  return undefined;
}

/** True when Git would accept `path` as the path of a regular file in a tree. */
export function isValidGitPath(path: string, maxLength?: number): boolean {
  return pathProblem(path, maxLength) === undefined;
}
