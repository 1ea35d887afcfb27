/**
 * What must not be in a function's bundle (test/unit/bundling.test.ts on a fresh build,
 * test/bundles/bundle-content.test.ts on what `cdk synth` wrote): each costs every cold start.
 */
export const UNWANTED_IN_BUNDLES: Record<string, RegExp> = {
  // The SDK's default credential chain beyond the environment (Lambda's credentials are there).
  'instance metadata credentials (IMDS)': /\/latest\/meta-data\/iam\/security-credentials/,
  'container credentials': /AWS_CONTAINER_CREDENTIALS_FULL_URI/,
  'SSO credentials': /sso_start_url/,
  'web identity credentials': /AWS_WEB_IDENTITY_TOKEN_FILE/,
  'process credentials': /credential_process/,
  // An ESM import of node:http loads undici on Node 22 (~30 ms); lib/bundling.ts routes it to require().
  'ESM import of node:http(s)': /import\s*(?:[\w$*{},\s]+from\s*)?\(?\s*["']node:https?["']/,
};

/** The names of the unwanted things found in a bundle's JavaScript. */
export function unwantedIn(javascript: string): string[] {
  return Object.entries(UNWANTED_IN_BUNDLES)
    .filter(([, pattern]) => pattern.test(javascript))
    .map(([name]) => name);
}
