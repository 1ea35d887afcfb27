/**
 * Git's rules for reference names (`git check-ref-format`, refs.c `check_refname_component`), applied
 * to a branch or tag name as `git check-ref-format --branch` does (one level allowed, no leading `-`,
 * not `HEAD`). Used for every branch the service writes and every `ref` it passes on to GitHub, so a
 * malformed name is a 400 here rather than a confusing answer from GitHub.
 */

export type RefNameProblem =
  | 'empty'
  | 'too_long'
  | 'forbidden_character'
  | 'bad_slash'
  | 'dot_component'
  | 'lock_suffix'
  | 'double_dot'
  | 'at_brace'
  | 'trailing_dot'
  | 'reserved';

/** GitHub refuses longer ref names; Git itself has no limit. */
export const MAX_REF_NAME_LENGTH = 255;

/** Why Git would refuse `name` as a branch name, or undefined when it is fine. */
export function refNameProblem(name: string): RefNameProblem | undefined {
  if (name.length === 0) return 'empty';
  if (Buffer.byteLength(name) > MAX_REF_NAME_LENGTH) return 'too_long';
  // Control characters, DEL, space, ~ ^ : ? * [ and backslash (rules 4, 5, 10).
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name)) return 'forbidden_character';
  // Rule 6: no leading or trailing slash, no empty component.
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'bad_slash';
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return 'dot_component'; // rule 1
    if (component.endsWith('.lock')) return 'lock_suffix'; // rule 1
  }
  if (name.includes('..')) return 'double_dot'; // rule 3
  if (name.includes('@{')) return 'at_brace'; // rule 8
  if (name.endsWith('.')) return 'trailing_dot'; // rule 7
  // Rule 9 (`@` alone); `--branch`: no leading dash, and HEAD names no branch.
  if (name === '@' || name.startsWith('-') || name === 'HEAD') return 'reserved';
  return undefined;
}
