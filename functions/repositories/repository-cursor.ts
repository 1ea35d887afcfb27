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

/**
 * At most this many installations' counts ride in a cursor (the largest first): a hint for the next
 * page's reads, so it stays short whatever the number of linked installations.
 */
const MAX_SHAPE_ENTRIES = 8;

/**
 * The cursor after `key`; `shape` (how many of the page's entries each installation gave) tells the
 * next page where its entries probably are (merge-pages.ts): only a read plan, never trusted for the
 * answer.
 */
export function encodeCursor(key: RepositoryKey, shape?: ReadonlyMap<number, number>): string {
  const h =
    shape && shape.size > 0
      ? [...shape]
          .sort((a, b) => b[1] - a[1] || a[0] - b[0])
          .slice(0, MAX_SHAPE_ENTRIES)
          .flat()
      : undefined;
  const body = {
    ...(key.suffix === undefined ? {} : { s: key.suffix }),
    n: key.name,
    i: key.id,
    ...(h ? { h } : {}),
  };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

const MAX_CURSOR_LENGTH = 800;
const invalid = () =>
  new BadRequestError('invalid_cursor', 'cursor is not one this list returned. Start again without it.');

/** A cursor this service gave out, else 400 `invalid_cursor` (opaque to clients, checked here). */
export function decodeCursor(cursor: string): RepositoryKey & { shape?: Map<number, number> } {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { n, i, s, h } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  if (typeof n !== 'string' || n.length === 0 || n.length > 250) throw invalid();
  if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 1) throw invalid();
  const shape = decodeShape(h);
  const extra = shape ? { shape } : {};
  if (s === undefined) return { name: n, id: i, ...extra };
  if (typeof s !== 'string' || s.length === 0 || s.length > 100) throw invalid();
  return { suffix: s, name: n, id: i, ...extra };
}

/** `[id, count, id, count, …]` (cursors without it, as before the hint, are valid). */
function decodeShape(h: unknown): Map<number, number> | undefined {
  if (h === undefined) return undefined;
  const counting = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
  if (!Array.isArray(h) || h.length % 2 !== 0 || h.length > 2 * MAX_SHAPE_ENTRIES || !h.every(counting))
    throw invalid();
  const shape = new Map<number, number>();
  for (let index = 0; index < h.length; index += 2) shape.set(h[index] as number, h[index + 1] as number);
  return shape;
}

/**
 * Whether a cursor belongs to this query: a search's cursor (a suffix that starts with `q`) for a
 * search, a plain one otherwise; a cursor of another query is refused rather than misread.
 */
export function cursorFits(key: RepositoryKey, q: string | undefined): boolean {
  if (q === undefined) return key.suffix === undefined;
  return key.suffix !== undefined && key.suffix.startsWith(q);
}
