import { BadRequestError } from '../shared/errors.js';

/**
 * The list's total order: lower-case full name, then GitHub's repository id. A search (`q`) is ordered
 * by the matched suffix of the lower-case name first (the name from the word start `q` matched; the
 * index answers it in that order), then the same. A cursor is the key of the last repository returned,
 * so the next page starts strictly after it whatever was added or removed in between: nothing is
 * repeated, and nothing that was there on both sides is skipped.
 */
export type RepositoryKey = { name: string; id: number; suffix?: string };

// Code-unit order, not locale order: the same everywhere, every time, and the index's sort-key order
// (names hold only ASCII, and the index's separator '#' sorts before every character they may hold).
const compareStrings = (a: string, b: string) => (a === b ? 0 : a < b ? -1 : 1);

export function compareKeys(a: RepositoryKey, b: RepositoryKey): number {
  return compareStrings(a.suffix ?? '', b.suffix ?? '') || compareStrings(a.name, b.name) || a.id - b.id;
}

export function encodeCursor(key: RepositoryKey): string {
  const body =
    key.suffix === undefined ? { n: key.name, i: key.id } : { s: key.suffix, n: key.name, i: key.id };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

const MAX_CURSOR_LENGTH = 400;
const invalid = () =>
  new BadRequestError('invalid_cursor', 'cursor is not one this list returned. Start again without it.');

/** A cursor this service gave out, else 400 `invalid_cursor` (opaque to clients, checked here). */
export function decodeCursor(cursor: string): RepositoryKey {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { n, i, s } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  if (typeof n !== 'string' || n.length === 0 || n.length > 250) throw invalid();
  if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 1) throw invalid();
  if (s === undefined) return { name: n, id: i };
  if (typeof s !== 'string' || s.length === 0 || s.length > 100) throw invalid();
  return { suffix: s, name: n, id: i };
}

/**
 * Whether a cursor belongs to this query: a search's cursor (a suffix that starts with `q`) for a
 * search, a plain one otherwise; a cursor of another query is refused rather than misread.
 */
export function cursorFits(key: RepositoryKey, q: string | undefined): boolean {
  if (q === undefined) return key.suffix === undefined;
  return key.suffix !== undefined && key.suffix.startsWith(q);
}
