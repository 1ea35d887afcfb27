/**
 * A browser reduced to what the API relies on, for suites that drive `npm start` over plain HTTP:
 * it keeps the cookies the API sets and sends them back to it, follows no redirect by itself, and
 * sends state-changing calls the way the frontend page does (cookie + Origin).
 */
export class HttpBrowser {
  readonly cookies = new Map<string, string>();

  /** `api`: the API's URL, or a function giving it (a suite that restarts `npm start` on new ports). */
  constructor(
    private readonly api: string | (() => string),
    readonly frontend = 'http://localhost:5173',
  ) {}

  get apiUrl(): string {
    return typeof this.api === 'string' ? this.api : this.api();
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (url.startsWith(this.apiUrl) && this.cookies.size > 0)
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    if (url.startsWith(this.apiUrl)) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const index = pair.indexOf('=');
        const [name, value] = [pair.slice(0, index), pair.slice(index + 1)];
        if (/Max-Age=0/.test(line)) this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
    }
    return response;
  }

  send(path: string, method: string, json?: unknown, origin = this.frontend) {
    return this.fetch(`${this.apiUrl}${path}`, {
      method,
      headers: { origin, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
  }

  /** GitHub's half of sign-in (the emulator's authorize page, approved as `login`): the callback URL, unopened. */
  async approve(login: string): Promise<string> {
    const start = await this.fetch(`${this.apiUrl}/auth/login`);
    const authorize = new URL(start.headers.get('location') ?? '');
    authorize.searchParams.set('login', login);
    const approved = await fetch(authorize, { redirect: 'manual' });
    return approved.headers.get('location') ?? '';
  }

  /** Signs in as `login`; throws unless the callback set a session. */
  async signIn(login: string): Promise<this> {
    const done = await this.fetch(await this.approve(login));
    if (done.status !== 302 || !this.cookies.has('session'))
      throw new Error(`sign-in as ${login} answered ${done.status} without a session`);
    return this;
  }
}
