import { BadRequestError } from '../errors.js';

/**
 * Trailers that attribute a commit to someone (GitHub shows co-authors on the commit and in their
 * contribution graphs). The service writes its own `Co-authored-by:` for the caller; a caller naming
 * anyone else would make the App's commit claim work for them.
 */
const ATTRIBUTION =
  /^[ \t]*(co-authored-by|co-committed-by|signed-off-by|authored-by|committed-by|on-behalf-of|reviewed-by|acked-by|tested-by|reported-by|suggested-by|helped-by|approved-by)[ \t]*:/i;

export function coAuthorTrailer(user: { id: number; login: string }): string {
  return `Co-authored-by: ${user.login} <${user.id}+${user.login}@users.noreply.github.com>`;
}

/**
 * The message without attribution trailers (matched case-insensitively, on any line: GitHub reads
 * co-authors from the message, so a line in the middle counts too), except the caller's own
 * `Co-authored-by:` as the service writes it. `removedTrailers` lists the lines taken out, as written.
 * Every other line is kept as it is. A message that was nothing but such trailers is a 400.
 */
export function withoutForeignTrailers(
  message: string,
  user: { id: number; login: string },
): { message: string; removedTrailers: string[] } {
  const own = coAuthorTrailer(user).toLowerCase();
  const removedTrailers: string[] = [];
  const kept = message.split('\n').filter((line) => {
    if (!ATTRIBUTION.test(line) || line.trim().toLowerCase() === own) return true;
    removedTrailers.push(line.trim());
    return false;
  });
  const substantive = kept.some((line) => line.trim() !== '' && line.trim().toLowerCase() !== own);
  if (removedTrailers.length > 0 && !substantive) {
    throw new BadRequestError(
      'invalid_request',
      'The commit message holds nothing but attribution trailers naming others.',
    );
  }
  return { message: kept.join('\n'), removedTrailers };
}
