/**
 * Scrubs secrets from anything on its way to a log line. Keys that name secrets are replaced whole;
 * string values are searched for GitHub token shapes, JWTs and PEM keys wherever they appear, so a
 * token inside an error message or URL does not slip through.
 */
/** Matched against the key lower-cased with `-` and `_` removed: accessToken, refresh_token, Set-Cookie… */
const SECRET_KEY = /(token|secret|password|authorization|cookie|privatekey|verifier|keymaterial|sessionid)$/;

const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  // GitHub tokens, whole: ghu_ (user), ghr_ (refresh), ghs_ (installation), gho_, ghp_, ghv_, of any
  // length, and the new format `ghs_<appId>_<header>.<payload>.<signature>` (base64url parts, dots).
  // Not after a letter or digit (a `_` before it, as in `X_ghs_…`, does not hide it).
  /(?<![A-Za-z0-9])gh[opsuvr]_[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+){0,2}/g,
  /(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]+/g,
  // JWTs (the App's bearer token, and any other): base64url JSON header and payload, signature
  // possibly empty (an unsigned `alg: none` token ends with its dot).
  /(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\b(Bearer|token|Basic)\s+[A-Za-z0-9._~+/=-]{12,}/gi,
];

export const REDACTED = '[REDACTED]';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_]/g, ''));
}

export function redactString(value: string): string {
  return SECRET_VALUE_PATTERNS.reduce((text, pattern) => text.replace(pattern, REDACTED), value);
}

/** A JSON.stringify replacer: Powertools Logger calls it for every key/value it serialises. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && isSecretKey(key) && value !== undefined && value !== null && value !== '') {
    return REDACTED;
  }
  if (typeof value === 'string') return redactString(value);
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message), stack: redactString(value.stack ?? '') };
  }
  return value;
}
