import { clearCookie, cookieName, cookieOptionsFor, setCookie } from '../../functions/shared/auth/cookies.js';

describe('cookies', () => {
  it('are __Host- prefixed and Secure when the API is served over HTTPS', () => {
    const https = cookieOptionsFor('https://api.example.com');
    expect(cookieName('session', https)).toBe('__Host-session');
    expect(setCookie('session', 'abc', 60, https)).toBe(
      '__Host-session=abc; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax',
    );
    expect(clearCookie('oauth_login', https)).toBe(
      '__Host-oauth_login=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax',
    );
  });

  it('keep their plain names over the local runtime’s plain http', () => {
    const http = cookieOptionsFor('http://localhost:3000');
    expect(cookieName('session', http)).toBe('session');
    expect(setCookie('session', 'abc', 60, http)).toBe(
      'session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Lax',
    );
  });
});
