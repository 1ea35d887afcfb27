import type { EmulatorRequest } from '../http.js';

/** GitHub's page-number pagination: `per_page` (default 30, max 100), `page`, and a `Link` header. */
export function paginate<T>(
  request: EmulatorRequest,
  all: readonly T[],
): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(request.url.searchParams.get('per_page') ?? 30) || 30));
  const pageNumber = Math.max(1, Number(request.url.searchParams.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(all.length / perPage));
  const items = all.slice((pageNumber - 1) * perPage, pageNumber * perPage);
  const link = (page: number, rel: string) => {
    const url = new URL(request.url);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(page));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageNumber > 1) links.push(link(pageNumber - 1, 'prev'), link(1, 'first'));
  if (pageNumber < last) links.push(link(pageNumber + 1, 'next'), link(last, 'last'));
  return { items, headers: links.length ? { Link: links.join(', ') } : {} };
}
