/**
 * The abuse limits' context keys (docs/security.md "Abuse limits") and the function environment
 * variable each one sets; a key not given keeps the code's default (functions/shared/config.ts).
 */
export const ABUSE_LIMIT_CONTEXT = {
  maxPendingInvitations: 'MAX_PENDING_INVITATIONS',
  maxInvitationsPerHour: 'MAX_INVITATIONS_PER_HOUR',
  maxAccountsPerHour: 'MAX_ACCOUNTS_PER_HOUR',
  maxSignInsPerMinute: 'MAX_SIGN_INS_PER_MINUTE',
  maxServiceTokensPerMinute: 'MAX_SERVICE_TOKENS_PER_MINUTE',
} as const;

export type AbuseLimitOverrides = Partial<Record<keyof typeof ABUSE_LIMIT_CONTEXT, number>>;

/** The function environment for the limits set by context (none: the code's defaults). */
export function abuseLimitEnvironment(limits: AbuseLimitOverrides = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(limits).map(([key, value]) => [
      ABUSE_LIMIT_CONTEXT[key as keyof typeof ABUSE_LIMIT_CONTEXT],
      String(value),
    ]),
  );
}
