/**
 * GitHub's SAML SSO signals, read from an answer's headers (no octokit import, so the shared error
 * mapper can use it): `X-GitHub-SSO: required; url=<url>` on a 403 when the user's token may not reach an
 * organisation until they sign in there, and `X-GitHub-SSO: partial-results; organizations=<id>,<id>`
 * on a list GitHub cut short. Installation tokens and App JWTs are never subject to it.
 * https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api
 */
import { SsoAuthorizationRequiredError } from '../errors.js';

type Headers = Record<string, string | number | undefined>;

function ssoHeader(headers: Headers | undefined): string {
  return String(headers?.['x-github-sso'] ?? '').trim();
}

/** The url GitHub sends the user to for SSO, when it refused for that reason (only http(s) urls). */
export function ssoRequiredUrl(status: number, headers: Headers | undefined): string | undefined {
  if (status !== 403) return undefined;
  const match = /^required;\s*url=(\S+)$/i.exec(ssoHeader(headers));
  if (!match?.[1]) return undefined;
  try {
    const url = new URL(match[1]);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** The organisations whose results GitHub left out of a list for SSO (none when it left nothing out). */
export function ssoPartialOrganizations(headers: Headers | undefined): number[] {
  const match = /^partial-results;\s*organizations=(.*)$/i.exec(ssoHeader(headers));
  if (!match?.[1]) return [];
  return match[1]
    .split(',')
    .map((id) => (/^\d+$/.test(id.trim()) ? Number(id.trim()) : NaN))
    .filter((id) => Number.isSafeInteger(id) && id > 0);
}

/** A failed GitHub call (octokit's RequestError, by shape) that is GitHub asking for SSO, as our error. */
export function ssoRequired(error: unknown): SsoAuthorizationRequiredError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, response } = error as { status?: unknown; response?: { headers?: Headers } };
  if (typeof status !== 'number') return undefined;
  const url = ssoRequiredUrl(status, response?.headers);
  if (url === undefined) return undefined;
  const organization = /\/orgs\/([^/]+)\/sso$/.exec(new URL(url).pathname)?.[1];
  return new SsoAuthorizationRequiredError(
    url,
    organization === undefined ? undefined : decodeURIComponent(organization),
  );
}
