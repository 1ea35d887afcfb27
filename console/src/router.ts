import { useEffect, useState } from 'preact/hooks';

/** Every screen lives under this prefix; CloudFront and npm start answer index.html for any of it. */
export const BASE = '/console';

export type Route =
  | { name: 'home' }
  | { name: 'signIn' }
  | { name: 'invitations' }
  | { name: 'newAccount' }
  | { name: 'account'; accountId: string }
  | { name: 'members'; accountId: string }
  | { name: 'installations'; accountId: string }
  | { name: 'repositories'; accountId: string }
  | { name: 'activity'; accountId: string }
  | { name: 'newRepository'; accountId: string }
  | { name: 'repository'; accountId: string; owner: string; repo: string; path: string }
  | { name: 'invalidPath' }
  | { name: 'notFound' };

/** A segment that would not stay one segment, or would move up or nowhere, once in an API URL. */
class InvalidSegment extends Error {}

/**
 * One URL segment, decoded. Never decoded into more segments or a dot segment: `.`, `..`, empty, an
 * encoded slash (`%2F`) or malformed percent-encoding is refused, so a crafted console link can never
 * make the console call an API route other than the one its screen names.
 */
function dec(part: string | undefined): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(part ?? '');
  } catch {
    throw new InvalidSegment();
  }
  if (decoded === '' || decoded === '.' || decoded === '..' || decoded.includes('/'))
    throw new InvalidSegment();
  return decoded;
}

/** A file path below a repository: each segment decoded on its own (dec's rules), joined with `/`. */
function decPath(path: string | undefined): string {
  if (path === undefined || path === '') return '';
  return path.split('/').map(dec).join('/');
}

const patterns: [RegExp, (m: string[]) => Route][] = [
  [/^\/?$/, () => ({ name: 'home' })],
  [/^\/sign-in$/, () => ({ name: 'signIn' })],
  [/^\/invitations$/, () => ({ name: 'invitations' })],
  [/^\/accounts\/new$/, () => ({ name: 'newAccount' })],
  [/^\/accounts\/([^/]+)$/, ([, a]) => ({ name: 'account', accountId: dec(a) })],
  [/^\/accounts\/([^/]+)\/members$/, ([, a]) => ({ name: 'members', accountId: dec(a) })],
  [/^\/accounts\/([^/]+)\/installations$/, ([, a]) => ({ name: 'installations', accountId: dec(a) })],
  [/^\/accounts\/([^/]+)\/repositories$/, ([, a]) => ({ name: 'repositories', accountId: dec(a) })],
  [/^\/accounts\/([^/]+)\/activity$/, ([, a]) => ({ name: 'activity', accountId: dec(a) })],
  [/^\/accounts\/([^/]+)\/repositories\/new$/, ([, a]) => ({ name: 'newRepository', accountId: dec(a) })],
  [
    /^\/accounts\/([^/]+)\/repositories\/([^/]+)\/([^/]+)(?:\/(.*))?$/,
    ([, a, o, r, p]) => ({
      name: 'repository',
      accountId: dec(a),
      owner: dec(o),
      repo: dec(r),
      path: decPath(p),
    }),
  ],
];

export function parseRoute(pathname: string): Route {
  if (pathname !== BASE && !pathname.startsWith(`${BASE}/`)) return { name: 'notFound' };
  const rest = pathname.slice(BASE.length);
  for (const [pattern, build] of patterns) {
    const match = pattern.exec(rest);
    if (!match) continue;
    try {
      return build(match);
    } catch (error) {
      if (error instanceof InvalidSegment) return { name: 'invalidPath' };
      throw error;
    }
  }
  return { name: 'notFound' };
}

/** The console URL for a route's path below /console (segments are encoded by the caller's helper). */
export function href(path: string): string {
  return `${BASE}${path.startsWith('/') ? path : `/${path}`}`;
}

/**
 * A repository file path as URL segments, each encoded on its own. A dot or empty segment is refused
 * (Git paths hold none): a URL parser resolves `..` and even `%2E%2E` as a step up, out of the route.
 */
export function encodePath(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      if (segment === '' || segment === '.' || segment === '..')
        throw new Error(`"${path}" is not a file path in a repository.`);
      return encodeURIComponent(segment);
    })
    .join('/');
}

/** Path helpers, so screens never build URLs by hand. */
export const paths = {
  home: () => href('/'),
  signIn: () => href('/sign-in'),
  invitations: () => href('/invitations'),
  newAccount: () => href('/accounts/new'),
  account: (id: string) => href(`/accounts/${encodeURIComponent(id)}`),
  members: (id: string) => href(`/accounts/${encodeURIComponent(id)}/members`),
  installations: (id: string) => href(`/accounts/${encodeURIComponent(id)}/installations`),
  repositories: (id: string) => href(`/accounts/${encodeURIComponent(id)}/repositories`),
  activity: (id: string) => href(`/accounts/${encodeURIComponent(id)}/activity`),
  newRepository: (id: string) => href(`/accounts/${encodeURIComponent(id)}/repositories/new`),
  repository: (id: string, owner: string, repo: string, path = '') =>
    href(
      `/accounts/${encodeURIComponent(id)}/repositories/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}` +
        (path ? `/${encodePath(path)}` : ''),
    ),
};

const listeners = new Set<() => void>();

/** Client-side navigation: pushes history and re-renders; a plain link still works on reload. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.scrollTo(0, 0);
  for (const listener of listeners) listener();
}

export function useLocation(): URL {
  const [location, setLocation] = useState(() => new URL(window.location.href));
  useEffect(() => {
    const update = () => setLocation(new URL(window.location.href));
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return location;
}

/** Intercepts same-origin clicks on <a href="/console/…"> so links stay real links (new tab, reload). */
export function onLinkClick(event: MouseEvent): void {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  )
    return;
  const anchor = (event.target as Element | null)?.closest?.('a');
  if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin || !url.pathname.startsWith(BASE)) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}
