/** The page number of `rel="last"` in GitHub's Link header (1 when there is no further page). */
export function lastPage(link: string | undefined): number {
  for (const part of (link ?? '').split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="last"/.exec(part);
    if (!match?.[1]) continue;
    const page = Number(new URL(match[1]).searchParams.get('page'));
    if (Number.isSafeInteger(page) && page >= 1) return page;
  }
  return 1;
}

/**
 * Every page of a page-numbered GitHub list: the first, then all the others at once (its Link header
 * names the last page), so any length costs 2 sequential round trips instead of one per page.
 */
export async function allPages<T extends { headers: { link?: string | undefined } }>(
  page: (number: number) => Promise<T>,
): Promise<T[]> {
  const first = await page(1);
  const rest = await Promise.all(
    Array.from({ length: lastPage(first.headers.link) - 1 }, (_, index) => page(index + 2)),
  );
  return [first, ...rest];
}
