import { createHash, randomBytes } from 'node:crypto';
import { getCrypto, getServices } from '../services.js';
import type { OAuthState } from '../store/oauth-state-store.js';
import { hashSecret } from './secret-hash.js';

const STATE_TTL_SECONDS = 600;

export const verifierBinding = (stateHash: string) => `STATE#${stateHash}#verifier`;

/**
 * A fresh single-use OAuth state (10 minutes), stored only as a keyed hash. With `pkce`, a verifier is
 * kept (encrypted) with it and the S256 challenge returned for the authorize URL.
 */
export async function createState(
  input: Omit<OAuthState, 'sealedVerifier'>,
  options: { pkce: boolean },
): Promise<{ state: string; codeChallenge: string | undefined }> {
  const { states } = getServices();
  const { cipher, sessionKey } = await getCrypto();
  const state = randomBytes(32).toString('base64url');
  const stateHash = hashSecret(sessionKey, state);
  const verifier = options.pkce ? randomBytes(32).toString('base64url') : undefined;
  await states.create(
    stateHash,
    { ...input, sealedVerifier: verifier ? cipher.encrypt(verifier, verifierBinding(stateHash)) : undefined },
    Math.floor(Date.now() / 1000) + STATE_TTL_SECONDS,
  );
  return {
    state,
    codeChallenge: verifier ? createHash('sha256').update(verifier).digest('base64url') : undefined,
  };
}

/** The App's "install on a new account" URL, carrying a state bound to the caller and the account. */
export async function createInstallUrl(accountId: string, userId: number, returnTo: string): Promise<string> {
  const { config, secrets } = getServices();
  const app = await secrets.gitHubApp();
  const { state } = await createState({ purpose: 'install', returnTo, userId, accountId }, { pkce: false });
  const url = new URL(`${config.githubWebUrl}/apps/${encodeURIComponent(app.slug)}/installations/new`);
  url.searchParams.set('state', state);
  return url.toString();
}
