import { BadRequestError } from '../shared/errors.js';

export const MAX_NAME_LENGTH = 100;

/**
 * Characters a name shown to other people must not carry: controls (Cc: NUL, ESC…), format characters
 * (Cf: bidi overrides such as U+202E, zero-width characters), private use (Co), lone surrogates (Cs)
 * and noncharacters. They let one member make a name render differently from what it is.
 */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Noncharacter_Code_Point}]/u;

/**
 * An account name as stored: trimmed, 1–100 characters (code points), nothing invisible or
 * direction-changing. Anything else is 400 `invalid_name`. HTML is ordinary text here: the API only
 * ever returns names as JSON string data.
 */
export function parseAccountName(value: unknown): string {
  if (typeof value !== 'string') throw invalidName('The name must be a string.');
  const name = value.trim();
  const length = [...name].length;
  if (length < 1 || length > MAX_NAME_LENGTH) {
    throw invalidName(`The name must be 1 to ${MAX_NAME_LENGTH} characters long.`);
  }
  if (FORBIDDEN.test(name)) {
    throw invalidName(
      'The name must not contain control, formatting (bidirectional or zero-width) or private-use characters.',
    );
  }
  return name;
}

function invalidName(message: string): BadRequestError {
  return new BadRequestError('invalid_name', message);
}
