import { paths, type Route } from '../router';
import { useSession } from '../session';

/** The open account's sections, on every screen of that account, so each is one click from any other. */
export function AccountNav({ route }: { route: Route }) {
  const { accounts } = useSession();
  if (!('accountId' in route)) return null;
  const account = accounts.find((candidate) => candidate.id === route.accountId);
  if (!account) return null;
  const sections: [string, string, Route['name'][]][] = [
    ['Overview', paths.account(account.id), ['account']],
    ['Installations', paths.installations(account.id), ['installations']],
    ['Repositories', paths.repositories(account.id), ['repositories', 'newRepository', 'repository']],
    ['Members', paths.members(account.id), ['members']],
    ['Activity', paths.activity(account.id), ['activity']],
  ];
  return (
    <nav class="account-nav" aria-label={`Account ${account.name}`}>
      <ul class="links">
        {sections.map(([label, href, names]) => (
          <li key={label}>
            <a href={href} aria-current={names.includes(route.name) ? 'page' : undefined}>
              {label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
