/**
 * Cookie names and attributes. Over HTTPS every cookie is `__Host-`-prefixed and `Secure`: the browser
 * then refuses it unless it was set by this exact host over HTTPS with `Path=/` and no `Domain`, so a
 * sibling subdomain cannot plant or overwrite it. The local runtime serves plain http, where browsers and
 * curl would drop such cookies, so there the plain names stay.
 */
export type CookieOptions = { secure: boolean };

export function cookieName(base: string, options: CookieOptions): string {
  return options.secure ? `__Host-${base}` : base;
}

export function setCookie(
  base: string,
  value: string,
  maxAgeSeconds: number,
  options: CookieOptions,
): string {
  const secure = options.secure ? '; Secure' : '';
  return `${cookieName(base, options)}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly${secure}; SameSite=Lax`;
}

export function clearCookie(base: string, options: CookieOptions): string {
  return setCookie(base, '', 0, options);
}

/** Whether the API is served over HTTPS (its public base URL says so). */
export function cookieOptionsFor(apiBaseUrl: string): CookieOptions {
  return { secure: new URL(apiBaseUrl).protocol === 'https:' };
}
