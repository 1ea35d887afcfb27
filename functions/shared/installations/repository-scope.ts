import { BadRequestError } from '../errors.js';

/**
 * What an account's link to an installation reaches (docs/repository-scope.md): named repositories
 * and/or name prefixes (`team-a-*`), or `null` for every repository the installation reaches. Names
 * are bare (the installation's account is their owner) and kept lower-case, as GitHub compares them.
 */
export type RepositoryScope = Readonly<{ repositories: readonly string[]; patterns: readonly string[] }>;

/** The body fields that set a scope; both null or absent: every repository the installation reaches. */
export type ScopeInput = {
  repositories?: readonly string[] | null | undefined;
  patterns?: readonly string[] | null | undefined;
};

export const SCOPE_LIMITS = { repositories: 100, patterns: 20 } as const;

/** GitHub's repository names: ASCII letters, digits, `.`, `-`, `_`; at most 100 characters. */
const NAME = /^[A-Za-z0-9._-]{1,100}$/;
/**
 * A pattern is a name prefix then one `*` at the end. Only prefixes: the repository index is ordered by
 * name, so a prefix is one range read however large the organisation (a `*` elsewhere would need every
 * name read).
 */
const PATTERN = /^[A-Za-z0-9._-]{1,99}\*$/;

const invalidScope = (message: string) => new BadRequestError('invalid_scope', message);

/** The scope a request body sets (400 `invalid_scope` naming what is wrong), or null for all. */
export function parseScope(input: ScopeInput): RepositoryScope | null {
  const { repositories, patterns } = input;
  if ((repositories === undefined || repositories === null) && (patterns === undefined || patterns === null))
    return null;
  const names = [...new Set((repositories ?? []).map((name) => name.toLowerCase()))];
  const prefixes = [...new Set((patterns ?? []).map((pattern) => pattern.toLowerCase()))];
  const badName = names.find((name) => !NAME.test(name) || name === '.' || name === '..');
  if (badName !== undefined)
    throw invalidScope(
      `"${badName.slice(0, 100)}" is not a repository name: letters, digits, ".", "-" and "_", at most 100 characters, without the owner.`,
    );
  const badPattern = prefixes.find((pattern) => !PATTERN.test(pattern));
  if (badPattern !== undefined)
    throw invalidScope(
      `"${badPattern.slice(0, 100)}" is not a pattern: a name prefix followed by one "*" at the end, e.g. "team-a-*".`,
    );
  if (names.length > SCOPE_LIMITS.repositories)
    throw invalidScope(`A scope names at most ${SCOPE_LIMITS.repositories} repositories.`);
  if (prefixes.length > SCOPE_LIMITS.patterns)
    throw invalidScope(`A scope has at most ${SCOPE_LIMITS.patterns} patterns.`);
  if (names.length === 0 && prefixes.length === 0)
    throw invalidScope(
      'A scope names at least one repository or pattern. To reach every repository of the installation, send null for both.',
    );
  return { repositories: names.sort(), patterns: prefixes.sort() };
}

/** Whether the scope reaches the repository `name` (bare, any case); a null scope reaches every one. */
export function inScope(scope: RepositoryScope | null | undefined, name: string): boolean {
  if (!scope) return true;
  const lower = name.toLowerCase();
  return (
    scope.repositories.includes(lower) ||
    scope.patterns.some((pattern) => lower.startsWith(pattern.slice(0, -1)))
  );
}

/**
 * The scope as ranges of lower-case names, for reading an index ordered by name: `exact` names and
 * `prefix`es, none covered by another, in name order. A name a pattern already covers is left out.
 */
export type ScopeRange = { kind: 'exact'; name: string } | { kind: 'prefix'; prefix: string };

export function scopeRanges(scope: RepositoryScope): ScopeRange[] {
  const prefixes = scope.patterns
    .map((pattern) => pattern.slice(0, -1))
    .sort()
    .filter((prefix, index, all) => !all.slice(0, index).some((shorter) => prefix.startsWith(shorter)));
  const ranges: ScopeRange[] = [
    ...prefixes.map((prefix) => ({ kind: 'prefix' as const, prefix })),
    ...scope.repositories
      .filter((name) => !prefixes.some((prefix) => name.startsWith(prefix)))
      .map((name) => ({ kind: 'exact' as const, name })),
  ];
  return ranges.sort((a, b) => {
    const left = a.kind === 'exact' ? a.name : a.prefix;
    const right = b.kind === 'exact' ? b.name : b.prefix;
    return left < right ? -1 : left > right ? 1 : 0;
  });
}

/** The scope as the API answers it (null: every repository), patterns with their `*`. */
export function scopeView(scope: RepositoryScope | null | undefined): RepositoryScope | null {
  return scope ? { repositories: [...scope.repositories], patterns: [...scope.patterns] } : null;
}

/**
 * A stored scope attribute (an object, as the link store writes it). Anything unreadable reaches
 * nothing, never everything: the caller maps an absent (or null) attribute to "every repository".
 */
export function readScope(value: unknown): RepositoryScope {
  const { repositories, patterns } = (typeof value === 'object' && value !== null ? value : {}) as {
    repositories?: unknown;
    patterns?: unknown;
  };
  const strings = (list: unknown) =>
    Array.isArray(list) ? list.filter((entry): entry is string => typeof entry === 'string') : [];
  return { repositories: strings(repositories), patterns: strings(patterns) };
}
