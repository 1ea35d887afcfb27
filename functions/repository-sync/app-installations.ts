import { lastPage } from '../shared/github/pages.js';
import type { GitHubRequest } from '../shared/github/github.js';
import type { GitHubInstallation } from '../shared/installations/github-installations.js';

const PER_PAGE = 100;
const CONCURRENCY = 10;

/**
 * Every installation of the App, as GitHub lists it now (`GET /app/installations`, authenticated as
 * the App: `request` carries auth-app's hook). GitHub's list, not the table's: an installation whose
 * `created` event was lost is found too. Page 1, then the others at most 10 at once; each installation
 * once (a page may shift while it is read).
 */
export async function appInstallations(request: GitHubRequest): Promise<GitHubInstallation[]> {
  const page = async (number: number) => {
    const answer = await request('GET /app/installations', { per_page: PER_PAGE, page: number });
    return { installations: answer.data as GitHubInstallation[], link: answer.headers.link };
  };
  const first = await page(1);
  const all = [...first.installations];
  const last = lastPage(first.link);
  for (let from = 2; from <= last; from += CONCURRENCY) {
    const numbers = Array.from({ length: Math.min(CONCURRENCY, last - from + 1) }, (_, i) => from + i);
    for (const answer of await Promise.all(numbers.map(page))) all.push(...answer.installations);
  }
  return [...new Map(all.map((installation) => [installation.id, installation])).values()];
}
