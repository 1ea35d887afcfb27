/** How many names an error message lists before it says "and n more": a message stays short. */
const NAMED_IN_ERRORS = 10;

/** `"a", "b", "c" and 4 more`: the names a refusal is about, quoted, bounded in number and length. */
export function listed(names: readonly string[]): string {
  const shown = names.slice(0, NAMED_IN_ERRORS).map((name) => JSON.stringify(name.slice(0, 150)));
  const more = names.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}
