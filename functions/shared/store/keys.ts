/**
 * The table's key layout (docs/architecture.md "Data model"). Only the store adapters in this folder import
 * it: services speak in domain ids, never in PK/SK strings.
 */
export const keys = {
  userProfile: (userId: string | number) => ({ PK: `USER#${userId}`, SK: 'PROFILE' }),
  userToken: (userId: string | number) => ({ PK: `USER#${userId}`, SK: 'TOKEN' }),
  session: (sessionHash: string) => ({ PK: `SESSION#${sessionHash}`, SK: 'SESSION' }),
  sessionByUser: (userId: string | number, sessionHash: string) => ({
    GSI1PK: `USER#${userId}`,
    GSI1SK: `SESSION#${sessionHash}`,
  }),
  oauthState: (stateHash: string) => ({ PK: `STATE#${stateHash}`, SK: 'STATE' }),
  account: (accountId: string) => ({ PK: `ACCOUNT#${accountId}`, SK: 'META' }),
  membership: (accountId: string, userId: string | number) => ({
    PK: `ACCOUNT#${accountId}`,
    SK: `MEMBER#${userId}`,
    GSI1PK: `USER#${userId}`,
    GSI1SK: `ACCOUNT#${accountId}`,
  }),
  /** A pending invitation of one GitHub user (by numeric id, never login) to one account. */
  invitation: (accountId: string, userId: string | number) => ({
    PK: `ACCOUNT#${accountId}`,
    SK: `INVITE#${userId}`,
    GSI1PK: `USER#${userId}`,
    GSI1SK: `INVITE#${accountId}`,
  }),
  /** A service access policy of the account (docs/token-vending.md): who may ask for which tokens. */
  serviceAccess: (accountId: string, policyId: string) => ({
    PK: `ACCOUNT#${accountId}`,
    SK: `SERVICE#${policyId}`,
  }),
  link: (accountId: string, installationId: string | number) => ({
    PK: `ACCOUNT#${accountId}`,
    SK: `INSTALLATION#${installationId}`,
    GSI1PK: `INSTALLATION#${installationId}`,
    GSI1SK: `ACCOUNT#${accountId}`,
  }),
  installation: (installationId: string | number) => ({ PK: `INSTALLATION#${installationId}`, SK: 'META' }),
  /** Kept after an uninstall so a late or redelivered older event cannot bring the installation back. */
  installationTombstone: (installationId: string | number) => ({
    PK: `INSTALLATION#${installationId}`,
    SK: 'TOMBSTONE',
  }),
  /**
   * The link again, in the installation's own partition: an uninstall finds every link committed
   * before it with a strongly consistent query (GSI1 is eventually consistent and may miss one).
   */
  /**
   * A confirmation with GitHub asked for and not yet done (the details stored may not be GitHub's
   * current word): written with the details it questions, removed once they are confirmed. The
   * reconciler's schedule works off any left (one small partition: ties and renames are rare).
   */
  installationConfirmRequest: (installationId: string | number) => ({
    PK: 'INSTALLATION#CONFIRMING',
    SK: `INSTALLATION#${installationId}`,
  }),
  installationLink: (installationId: string | number, accountId: string) => ({
    PK: `INSTALLATION#${installationId}`,
    SK: `LINK#${accountId}`,
  }),
  installationToken: (installationId: string | number, scopeHash: string) => ({
    PK: `INSTALLATION#${installationId}`,
    SK: `TOKEN#${scopeHash}`,
  }),
  webhookDelivery: (deliveryId: string) => ({ PK: `DELIVERY#${deliveryId}`, SK: 'DELIVERY' }),
  /** The redelivery job's checkpoint and last run (no delivery id is empty, so none collides with it). */
  redeliveryRun: () => ({ PK: `DELIVERY#`, SK: 'REDELIVERY_RUN' }),
  /** A repository creation in progress or done, so a retry of the same request finishes the job. */
  repoCreation: (accountId: string, installationId: string | number, name: string) => ({
    PK: `ACCOUNT#${accountId}`,
    SK: `REPO#${installationId}#${name.toLowerCase()}`,
  }),
  /**
   * The repository index (docs/repository-index.md): one partition per installation, apart from the
   * installation's own (the uninstall path queries that one). Ids are zero-padded so that sort-key
   * order is numeric order; '#' sorts before every character a repository name may hold, so
   * `<name>#` keeps a shorter name before its extensions.
   */
  repoIndexState: (installationId: number) => ({ PK: `REPOS#${installationId}`, SK: 'STATE' }),
  repoIndexCount: (installationId: number, shard: number) => ({
    PK: `REPOS#${installationId}`,
    SK: `COUNT#${shard}`,
  }),
  /** GSI1 finds every installation indexing a repository (a transfer removes it from the old owner's). */
  repoIndexRecord: (installationId: number, repositoryId: number) => ({
    PK: `REPOS#${installationId}`,
    SK: `ID#${padId(repositoryId)}`,
    GSI1PK: `REPO#${repositoryId}`,
    GSI1SK: `REPOS#${installationId}`,
  }),
  /** The list's entry: lower-case full name, then id (the list's total order). */
  repoIndexByName: (installationId: number, fullNameLower: string, repositoryId: number) => ({
    PK: `REPOS#${installationId}`,
    SK: `N#${fullNameLower}#${padId(repositoryId)}`,
  }),
  /** A search entry: the lower-case name from one word start to its end, then the list's order. */
  repoIndexWord: (installationId: number, suffix: string, fullNameLower: string, repositoryId: number) => ({
    PK: `REPOS#${installationId}`,
    SK: `W#${suffix}#${fullNameLower}#${padId(repositoryId)}`,
  }),
  /** A short-lived marker: the repository was deleted or removed, so older events cannot bring it back. */
  repoIndexGone: (installationId: number, repositoryId: number) => ({
    PK: `REPOS#${installationId}`,
    SK: `GONE#${padId(repositoryId)}`,
  }),
  /** An uninstalled installation whose index is still being cleared (batch by batch). */
  repoIndexPendingClear: (installationId: number) => ({
    PK: 'REPOS#CLEARING',
    SK: `INSTALLATION#${installationId}`,
  }),
  /**
   * A domain event in the outbox (functions/shared/store/event-outbox.ts): written in the transaction of
   * its change; DynamoDB Streams carry its INSERT to EventBridge. One partition per event: none is hot.
   */
  outboxEvent: (eventId: string) => ({ PK: `EVENT#${eventId}`, SK: 'EVENT' }),
  /**
   * One event in one account's activity log (activity-store.ts), written by the activity-log function
   * from the outbox's stream: newest first is a descending query (ISO times sort as they happened), and
   * a replay rewrites the same item.
   */
  activity: (accountId: string, occurredAt: string, eventId: string) => ({
    PK: `ACTIVITY#${accountId}`,
    SK: `AT#${occurredAt}#${eventId}`,
  }),
  /** The repository sync job's state of one installation: checkpoint, budget, lease (repository-sync-store.ts). */
  repositorySync: (installationId: string | number) => ({ PK: `REPOSYNC#${installationId}`, SK: 'STATE' }),
  /** One page of `GET /installation/repositories` as last read: its ETag and the repository ids on it. */
  repositorySyncPage: (installationId: string | number, page: number) => ({
    PK: `REPOSYNC#${installationId}`,
    SK: `PAGE#${String(page).padStart(6, '0')}`,
  }),
  /**
   * One caller's Idempotency-Key (docs/idempotency.md): a partition per caller and key (a digest of
   * the key, so its length and characters never reach the key schema), so no partition is hot.
   */
  idempotencyKey: (userId: string | number, keyDigest: string) => ({
    PK: `IDEM#${userId}#${keyDigest}`,
    SK: 'IDEM',
  }),
  /**
   * One fixed window of an abuse limit (docs/security.md "Abuse limits"): how many times `subject` (a
   * user id) did `limit` since `windowStart` (epoch seconds). Expires with its window (TTL).
   */
  rateWindow: (limit: string, subject: string | number, windowStart: number) => ({
    PK: `LIMIT#${limit}#${subject}`,
    SK: `WINDOW#${windowStart}`,
  }),
  /**
   * One installation token vended to a platform back-end (docs/token-vending.md "Audit"): a partition per
   * token, by its SHA-256 (hex), never the token; one item per issue (a cached token may be issued again).
   */
  vendIssue: (tokenSha256: string, issuedAt: string, requestId: string) => ({
    PK: `VEND#${tokenSha256}`,
    SK: `ISSUE#${issuedAt}#${requestId}`,
  }),
  /**
   * One principal the token was issued to (overwritten by each issue to it): revocation checks the caller
   * with one read of this item, however many times a shared cached token was issued.
   */
  vendHolder: (tokenSha256: string, principal: string) => ({
    PK: `VEND#${tokenSha256}`,
    SK: `HOLDER#${principal}`,
  }),
  /** That token's revocation, by whom. */
  vendRevoke: (tokenSha256: string, revokedAt: string) => ({
    PK: `VEND#${tokenSha256}`,
    SK: `REVOKE#${revokedAt}`,
  }),
  /**
   * A dedicated vended token due for revocation at `dueAt` (its policy's maxLifetimeMinutes): one
   * partition, sorted by due time, so the sweep reads the oldest due first. Holds the token encrypted.
   */
  vendDue: (dueAt: string, tokenSha256: string) => ({
    PK: 'VEND#DUE',
    SK: `DUE#${dueAt}#${tokenSha256}`,
  }),
} as const;

/** Sort-key prefixes for adjacency-list queries. */
export const prefixes = {
  member: 'MEMBER#',
  invitation: 'INVITE#',
  link: 'INSTALLATION#',
  serviceAccess: 'SERVICE#',
  vendDue: 'DUE#',
  installationToken: 'TOKEN#',
  installationLink: 'LINK#',
  account: 'ACCOUNT#',
  session: 'SESSION#',
  profile: 'PROFILE',
  repoIndex: 'REPOS#',
  repoIndexRecord: 'ID#',
  repoIndexByName: 'N#',
  repoIndexWord: 'W#',
  repoIndexGone: 'GONE#',
  repoIndexPendingClear: 'INSTALLATION#',
  installationConfirmRequest: 'INSTALLATION#',
  repositorySyncPage: 'PAGE#',
} as const;

/** Ids fit in 16 digits (JavaScript's safe integers): padded, string order is numeric order. */
export function padId(id: number): string {
  return String(id).padStart(16, '0');
}

export type ItemKey = { PK: string; SK: string };

/** The string bound into token ciphertexts as associated data: a ciphertext only opens under its own item. */
export function keyToString(key: ItemKey): string {
  return `${key.PK}|${key.SK}`;
}
