import { BadRequestError } from '../errors.js';

/**
 * The list's total order: lower-case full name, then GitHub's repository id. A cursor is the key of the
 * last repository returned, so the next page starts strictly after it whatever was added or removed in
 * between: nothing is repeated, and nothing that was there on both sides is skipped.
 */
export type RepositoryKey = { name: string; id: number };

export function compareKeys(a: RepositoryKey, b: RepositoryKey): number {
  // Code-unit order, not locale order: the same everywhere, every time.
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id - b.id;
}

export function encodeCursor(key: RepositoryKey): string {
  return Buffer.from(JSON.stringify({ n: key.name, i: key.id })).toString('base64url');
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
  const { n, i } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (typeof n !== 'string' || n.length === 0 || n.length > 250) throw invalid();
  if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 1) throw invalid();
  return { name: n, id: i };
}
