import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import { BadRequestError } from '../errors.js';
import type { HttpRequest } from '../http/request.js';
import { getCrypto, getServices } from '../services.js';
import { clearCookie, cookieName, cookieOptionsFor, setCookie } from './cookies.js';

const FLOW_TTL_SECONDS = 600;

/** One OAuth round trip through GitHub: sign-in, or installing the App for a platform account. */
export type OAuthFlow = {
  purpose: 'login' | 'install';
  returnTo: string;
  /** PKCE verifier (sign-in). */
  verifier?: string | undefined;
  /** For `install`: who asked and for which platform account. */
  userId?: number | undefined;
  accountId?: string | undefined;
};

// One cookie per purpose: a second sign-in started in another tab replaces the first (which then
// fails with state_mismatch), and a browser can never pile up cookies by starting sign-in repeatedly.
const COOKIE_BASE = { login: 'oauth_login', install: 'oauth_install' } as const;

const sealedFlow = z.object({
  state: z.string(),
  purpose: z.enum(['login', 'install']),
  returnTo: z.string(),
  verifier: z.optional(z.string()),
  userId: z.optional(z.number()),
  accountId: z.optional(z.string()),
  expiresAt: z.number(),
});

const binding = (purpose: OAuthFlow['purpose']) => `oauth-flow#${purpose}`;
const digest = (state: string) => createHash('sha256').update(state).digest('hex');

/**
 * Starts a flow without writing anything: the flow (state, PKCE verifier, return path) travels sealed in
 * a short-lived HttpOnly cookie on the browser that started it, and only the random state goes to GitHub.
 * The callback accepts the state only together with that cookie, so a callback URL opened in another
 * browser (login CSRF) is refused.
 */
export async function beginFlow(
  flow: Omit<OAuthFlow, 'verifier'>,
  options: { pkce: boolean },
): Promise<{ state: string; codeChallenge: string | undefined; cookie: string }> {
  const { config } = getServices();
  const { cipher } = await getCrypto();
  const state = randomBytes(32).toString('base64url');
  const verifier = options.pkce ? randomBytes(32).toString('base64url') : undefined;
  const sealed = cipher.encrypt(
    JSON.stringify({
      ...flow,
      state,
      verifier,
      expiresAt: Math.floor(Date.now() / 1000) + FLOW_TTL_SECONDS,
    }),
    binding(flow.purpose),
  );
  return {
    state,
    codeChallenge: verifier ? createHash('sha256').update(verifier).digest('base64url') : undefined,
    cookie: setCookie(
      COOKIE_BASE[flow.purpose],
      sealed,
      FLOW_TTL_SECONDS,
      cookieOptionsFor(config.apiBaseUrl),
    ),
  };
}

const sameState = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * The callback's half: the flow whose sealed cookie this browser holds and whose state GitHub sent back.
 * 400 `invalid_state` without a state or for an expired flow; 400 `state_mismatch` when this browser did
 * not start the flow. Nothing is written here: `markUsed` records the state as used (400
 * `invalid_state` if it already was) and is called once the caller is identified, so a request without
 * a working code or session writes nothing. Also returns the cookies that clear the flow.
 */
export async function takeFlow(
  request: HttpRequest,
): Promise<{ flow: OAuthFlow; clearCookies: string[]; markUsed: () => Promise<void> }> {
  const { config, states } = getServices();
  const rawState = request.query.state;
  if (!rawState)
    throw new BadRequestError('invalid_state', 'The sign-in state is missing. Start signing in again.');
  const options = cookieOptionsFor(config.apiBaseUrl);
  const { cipher } = await getCrypto();
  let match: z.infer<typeof sealedFlow> | undefined;
  for (const purpose of ['login', 'install'] as const) {
    const sealed = request.cookies[cookieName(COOKIE_BASE[purpose], options)];
    if (!sealed) continue;
    let parsed;
    try {
      parsed = sealedFlow.safeParse(JSON.parse(cipher.decrypt(sealed, binding(purpose))));
    } catch {
      continue; // not ours, tampered, or sealed under a key we no longer hold
    }
    if (parsed.success && parsed.data.purpose === purpose && sameState(parsed.data.state, rawState)) {
      match = parsed.data;
      break;
    }
  }
  if (!match) {
    throw new BadRequestError(
      'state_mismatch',
      'This sign-in was not started in this browser (or it has expired). Start signing in again.',
    );
  }
  const used = () =>
    new BadRequestError(
      'invalid_state',
      'This sign-in link was already used or has expired. Start signing in again.',
    );
  // A replay is refused before GitHub is asked again; the write that makes the state used comes later.
  if (match.expiresAt <= Math.floor(Date.now() / 1000) || (await states.isUsed(digest(rawState))))
    throw used();
  const { expiresAt } = match;
  return {
    markUsed: async () => {
      if (!(await states.markUsed(digest(rawState), expiresAt))) throw used();
    },
    flow: {
      purpose: match.purpose,
      returnTo: match.returnTo,
      verifier: match.verifier,
      userId: match.userId,
      accountId: match.accountId,
    },
    clearCookies: [clearCookie(COOKIE_BASE[match.purpose], options)],
  };
}

/** The App's "install on a new account" page, with a flow bound to this browser, the caller and the account. */
export async function beginInstallFlow(
  accountId: string,
  userId: number,
  returnTo: string,
): Promise<{ url: string; cookie: string }> {
  const { config, secrets } = getServices();
  const app = await secrets.gitHubApp();
  const { state, cookie } = await beginFlow(
    { purpose: 'install', returnTo, userId, accountId },
    { pkce: false },
  );
  const url = new URL(`${config.githubWebUrl}/apps/${encodeURIComponent(app.slug)}/installations/new`);
  url.searchParams.set('state', state);
  return { url: url.toString(), cookie };
}
