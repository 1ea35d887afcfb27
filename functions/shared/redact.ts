/**
 * Scrubs secrets from anything on its way to a log line. Keys that name secrets are replaced whole;
 * string values are searched for GitHub token shapes, JWTs and PEM keys wherever they appear, so a
 * token inside an error message or URL does not slip through.
 */
/** Matched against the key lower-cased with `-` and `_` removed: accessToken, refresh_token, Set-Cookie… */
const SECRET_KEY = /(token|secret|password|authorization|cookie|privatekey|verifier|keymaterial|sessionid)$/;

const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  // GitHub tokens: ghu_ (user), ghr_ (refresh), ghs_ (installation), gho_, ghp_. Any length, and whole
  // when in the new format `ghs_<appId>_<header>.<payload>.<signature>` (base64url parts, dots).
  /\bgh[opsuvr]_[A-Za-z0-9_-]{16,}(?:\.[A-Za-z0-9_-]+){0,2}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, // JWTs (the App's bearer token)
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
