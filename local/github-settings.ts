/**
 * Which GitHub `npm start` talks to. The settings that name a real GitHub App go together: with all of
 * them the service uses that App (on GITHUB_API_URL, api.github.com by default); with none, the GitHub
 * emulator and the generated local App. A partial set would silently mix a real GitHub with the
 * emulator's made-up App, so it stops the start, naming what is missing. GITHUB_WEBHOOK_SECRET is not
 * among them: alone it is the secret the emulator's App is registered with (and the service verifies).
 */
export const REAL_APP_SETTINGS = [
  'GITHUB_APP_ID',
  'GITHUB_APP_SLUG',
  'GITHUB_CLIENT_ID',
  'GITHUB_CLIENT_SECRET',
  'GITHUB_PRIVATE_KEY',
] as const;

export type LocalGitHub =
  | { kind: 'emulator'; webhookSecret: string | undefined }
  /** A real App (all settings), or another GitHub-like endpoint the operator runs (GITHUB_API_URL). */
  | { kind: 'external' };

export function localGitHub(env: Record<string, string | undefined>): LocalGitHub {
  const given = REAL_APP_SETTINGS.filter((name) => (env[name] ?? '') !== '');
  if (given.length > 0 && given.length < REAL_APP_SETTINGS.length) {
    const missing = REAL_APP_SETTINGS.filter((name) => !given.includes(name));
    throw new Error(
      `A real GitHub App needs all of ${REAL_APP_SETTINGS.join(', ')}: ${missing.join(', ')} ${
        missing.length === 1 ? 'is' : 'are'
      } missing (set: ${given.join(', ')}). Set them all, or none to use the GitHub emulator.`,
    );
  }
  if (given.length > 0 || env.GITHUB_API_URL) return { kind: 'external' };
  return { kind: 'emulator', webhookSecret: env.GITHUB_WEBHOOK_SECRET || undefined };
}
