/**
 * Which function serves which route, and what each function may touch. Pure data, here so that the
 * functions (unmatched routes' 405), the CDK stack (the API and the IAM grants) and the local API
 * server (dispatch) all read it while `functions/` imports nothing of `lib/` (eslint.config.js).
 */

/** The functions behind HTTP routes (ROUTES). */
export type FunctionName =
  | 'health'
  | 'oauth-callback'
  | 'session'
  | 'accounts'
  | 'list-installations'
  | 'link-installation'
  | 'create-repo'
  | 'repositories'
  | 'service-access'
  | 'webhook'
  | 'token-vending';

/** Functions run on a schedule (EventBridge in AWS, a timer in `npm start`), behind no route. */
export type ScheduledFunctionName = 'webhook-redelivery' | 'repository-sync';

/** Functions fed by the table's stream (a Lambda event source mapping in AWS), behind no route. */
export type StreamFunctionName = 'activity-log';

export type ServiceFunctionName = FunctionName | ScheduledFunctionName | StreamFunctionName;

/**
 * Partition-key prefixes of the table (functions/shared/store/keys.ts). For a Query on GSI1 the leading
 * key is GSI1PK, so a GSI1 prefix a function queries is listed too.
 */
export type TableKeyPrefix =
  | 'USER#'
  | 'SESSION#'
  | 'STATE#'
  | 'ACCOUNT#'
  | 'INSTALLATION#'
  | 'DELIVERY#'
  // The repository index (docs/repository-index.md): its partitions, and GSI1 `REPO#<id>`.
  | 'REPOS#'
  | 'REPO#'
  // The reconciler's own checkpoints (docs/repository-index.md "Reconciler").
  | 'REPOSYNC#'
  // Idempotency keys of mutating routes (docs/idempotency.md).
  | 'IDEM#'
  // Abuse-limit windows (docs/security.md "Abuse limits").
  | 'LIMIT#'
  // The outbox of domain events, written beside each change (docs/events.md).
  | 'EVENT#'
  // Each account's activity log (docs/events.md "Activity log").
  | 'ACTIVITY#'
  // The audit of vended service tokens, by the token's SHA-256 (docs/token-vending.md "Audit").
  | 'VEND#';

export type FunctionSpec = Readonly<{
  /** Handler module, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  /** Least privilege: what the function is granted, nothing more. */
  access: Readonly<{
    table: boolean;
    githubAppSecret: boolean;
    /** The webhook secret(s) only: a secret of its own, apart from the App's private key. */
    webhookSecret: boolean;
    serviceKeys: boolean;
  }>;
  /**
   * The partition keys (and GSI1 partition keys it queries) the function may touch: its table grant
   * carries a `dynamodb:LeadingKeys` condition built from them. Required with table access.
   */
  tablePrefixes?: readonly TableKeyPrefix[];
  /**
   * Fed by the table's stream (a Lambda event source mapping, which reads the stream with the
   * function's role): the stream read grant, on the table's stream only.
   */
  tableStream?: true;
  memoryMb?: number;
  timeoutSeconds?: number;
}>;

const entry = (name: ServiceFunctionName) => `functions/${name}/handler.ts`;

/**
 * Functions that may refresh a user token: the refresh lease (18 s, auth/user-tokens.ts) plus the
 * GitHub call it was for (8 s) fit, inside API Gateway's 30 s integration limit.
 */
const REFRESHING_TIMEOUT_SECONDS = 29;

export const SERVICE_FUNCTIONS: Readonly<Record<ServiceFunctionName, FunctionSpec>> = {
  health: {
    entry: entry('health'),
    description: 'Liveness probe; answers unmatched routes ($default: 404 or 405)',
    access: { table: false, githubAppSecret: false, webhookSecret: false, serviceKeys: false },
  },
  'oauth-callback': {
    entry: entry('oauth-callback'),
    description: 'Sign in with GitHub: OAuth state, code exchange, App install callback',
    access: { table: true, githubAppSecret: true, webhookSecret: false, serviceKeys: true },
    // States (single use), sessions, the user; install completion: membership, link, details, tombstone.
    // Sign-ins per user (`LIMIT#`).
    tablePrefixes: ['STATE#', 'SESSION#', 'USER#', 'ACCOUNT#', 'INSTALLATION#', 'LIMIT#', 'EVENT#'],
  },
  session: {
    entry: entry('session'),
    description: 'The signed-in user and sign-out',
    access: { table: true, githubAppSecret: false, webhookSecret: false, serviceKeys: true },
    // The session; the profile and the memberships (GSI1 `USER#…`, account names kept on them).
    tablePrefixes: ['SESSION#', 'USER#'],
  },
  accounts: {
    entry: entry('accounts'),
    description: 'Platform accounts, members and invitations',
    // Invitations resolve logins at GitHub with the inviter's token, which may need a refresh (client secret).
    access: { table: true, githubAppSecret: true, webhookSecret: false, serviceKeys: true },
    // Accounts, members, invitations; GSI1 `USER#…` (a user's accounts and invitations); abuse limits;
    // the outbox; the activity log (read).
    tablePrefixes: ['SESSION#', 'ACCOUNT#', 'USER#', 'IDEM#', 'LIMIT#', 'EVENT#', 'ACTIVITY#'],
    timeoutSeconds: REFRESHING_TIMEOUT_SECONDS,
  },
  'list-installations': {
    entry: entry('list-installations'),
    description: 'Installations the caller can reach, marked linked or not',
    access: { table: true, githubAppSecret: true, webhookSecret: false, serviceKeys: true },
    // Membership and links; the user's tokens; the install URL's state; the stored details of linked
    // installations GitHub left out (SSO marks them).
    tablePrefixes: ['SESSION#', 'ACCOUNT#', 'USER#', 'INSTALLATION#'],
    timeoutSeconds: REFRESHING_TIMEOUT_SECONDS,
  },
  'link-installation': {
    entry: entry('link-installation'),
    description: 'Link and unlink installations, verified with GitHub',
    access: { table: true, githubAppSecret: true, webhookSecret: false, serviceKeys: true },
    tablePrefixes: ['SESSION#', 'ACCOUNT#', 'USER#', 'INSTALLATION#', 'IDEM#', 'EVENT#'],
    timeoutSeconds: REFRESHING_TIMEOUT_SECONDS,
  },
  'create-repo': {
    entry: entry('create-repo'),
    description: 'Create repositories in linked GitHub accounts',
    access: { table: true, githubAppSecret: true, webhookSecret: false, serviceKeys: true },
    // Membership and creation records; the user's tokens; details and cached installation tokens.
    tablePrefixes: ['SESSION#', 'ACCOUNT#', 'USER#', 'INSTALLATION#', 'IDEM#', 'EVENT#'],
    timeoutSeconds: 29,
  },
  repositories: {
    entry: entry('repositories'),
    description: 'Repositories of linked installations: list, read (import) and commit',
    // Installation tokens only (narrowed per repository); membership, links and installation details;
    // the repository index (the list reads nothing else).
    access: { table: true, githubAppSecret: true, webhookSecret: false, serviceKeys: true },
    tablePrefixes: ['SESSION#', 'ACCOUNT#', 'USER#', 'INSTALLATION#', 'REPOS#', 'IDEM#', 'EVENT#'],
    timeoutSeconds: 29,
  },
  'service-access': {
    entry: entry('service-access'),
    description: 'Service access policies: which platform back-ends may ask for which tokens',
    // No GitHub call and no token: the table only. Policies, membership and links (`ACCOUNT#`); the
    // linked installations' stored details, for the scope check (`INSTALLATION#`); the session and
    // profile; Idempotency-Key; the outbox.
    access: { table: true, githubAppSecret: false, webhookSecret: false, serviceKeys: true },
    tablePrefixes: ['SESSION#', 'ACCOUNT#', 'USER#', 'INSTALLATION#', 'IDEM#', 'EVENT#'],
  },
  webhook: {
    // Public and unauthenticated until the signature checks: the webhook secret only, never the App's
    // private key or client secret; deletes cached tokens but never decrypts them (no service keys).
    entry: entry('webhook'),
    description: 'Verified, deduplicated GitHub webhook deliveries',
    access: { table: true, githubAppSecret: false, webhookSecret: true, serviceKeys: false },
    // Deliveries; installations and their tokens; an uninstall deletes the links (`ACCOUNT#…` items,
    // found through GSI1 `INSTALLATION#…`); a revocation deletes the user's token and sessions; the
    // repository index (a transfer finds the installations indexing a repository through GSI1 `REPO#…`);
    // the events of what GitHub reports (`EVENT#`, the outbox).
    tablePrefixes: [
      'DELIVERY#',
      'INSTALLATION#',
      'ACCOUNT#',
      'USER#',
      'SESSION#',
      'REPOS#',
      'REPO#',
      'EVENT#',
    ],
  },
  'token-vending': {
    // Called by the platform's back-ends over AWS IAM (SigV4), never with a session: mints installation
    // tokens narrowed to what an account's service access policy grants (docs/token-vending.md), through
    // the shared encrypted token cache (the App secret and the service keys), and revokes them.
    entry: entry('token-vending'),
    description: 'Installation tokens for the platform back-ends (IAM-authorized), and their revocation',
    access: { table: true, githubAppSecret: true, webhookSecret: false, serviceKeys: true },
    // Policies and links (`ACCOUNT#`), installation details and cached tokens (`INSTALLATION#`), the
    // audit (`VEND#`), the per-principal throttle (`LIMIT#`).
    tablePrefixes: ['ACCOUNT#', 'INSTALLATION#', 'VEND#', 'LIMIT#'],
  },
  'webhook-redelivery': {
    // Scheduled: lists the App's deliveries and redelivers failed ones as the App (a JWT from the App
    // secret); reads and annotates delivery records. No installation tokens, so no service keys.
    entry: entry('webhook-redelivery'),
    description: 'Redelivers failed GitHub webhook deliveries (scheduled)',
    access: { table: true, githubAppSecret: true, webhookSecret: false, serviceKeys: false },
    tablePrefixes: ['DELIVERY#'],
    // 20 pages and 100 redeliveries at GitHub's 8 s timeout, four at a time (REDELIVERY_LIMITS).
    timeoutSeconds: 300,
  },
  'repository-sync': {
    // Invoked asynchronously (one installation) or by its schedule (fans out through GitHub's list of
    // the App's installations): reads each installation's repositories with a `metadata: read` token
    // (minted and cached like every installation token, hence the service keys) and writes the index.
    entry: entry('repository-sync'),
    description: 'Reconciles the repository index with GitHub (async per installation, and scheduled)',
    access: { table: true, githubAppSecret: true, webhookSecret: false, serviceKeys: true },
    // Its own checkpoints (`REPOSYNC#`), the index (`REPOS#`), cached installation tokens (`INSTALLATION#`);
    // a confirmation that changes an installation reports it (`EVENT#`, the outbox).
    tablePrefixes: ['REPOSYNC#', 'REPOS#', 'INSTALLATION#', 'EVENT#'],
    // A pass checkpoints well before this (SYNC_LIMITS.marginMs); 100,000 repositories fit in one.
    timeoutSeconds: 900,
  },
  'activity-log': {
    // Fed by the table's stream (outbox INSERTs only, the event source mapping's filter): writes each
    // event into the activity log of every account it names. The stream's own read grant is the
    // mapping's; the table statement covers its writes only. No secret, no GitHub.
    entry: entry('activity-log'),
    description: "Writes the outbox's events into each account's activity log (DynamoDB stream)",
    access: { table: true, githubAppSecret: false, webhookSecret: false, serviceKeys: false },
    tablePrefixes: ['ACTIVITY#'],
    tableStream: true,
    timeoutSeconds: 60,
  },
};

/** How often every installation's repositories are reconciled unless `-c repositorySyncIntervalMinutes`. */
/** Lambda's timeout when a function's spec names none (lib/service-function.ts). */
export const DEFAULT_TIMEOUT_SECONDS = 15;

/** How long an invocation of `fn` may run, as the stack deploys it: local runs hand it to their context. */
export const functionTimeoutMs = (fn: ServiceFunctionName) =>
  (SERVICE_FUNCTIONS[fn].timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;

export const REPOSITORY_SYNC_DEFAULT_MINUTES = 60;

/** Functions that ask for a repository sync (lambda:InvokeFunction on repository-sync, asynchronously). */
export const REQUESTS_REPOSITORY_SYNC: readonly ServiceFunctionName[] = ['webhook', 'link-installation'];

export type RouteSpec = Readonly<{
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  fn: FunctionName;
  /**
   * `iam`: API Gateway's IAM authorizer (SigV4, `execute-api:Invoke`) admits the request before the
   * function runs and hands it the caller (docs/token-vending.md); the local server verifies the same
   * signatures (local/sigv4-auth.ts). Absent: the function authenticates (session, webhook signature).
   */
  auth?: 'iam';
}>;

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/health', fn: 'health' },
  { method: 'GET', path: '/auth/login', fn: 'oauth-callback' },
  { method: 'GET', path: '/auth/callback', fn: 'oauth-callback' },
  { method: 'POST', path: '/auth/logout', fn: 'session' },
  { method: 'GET', path: '/me', fn: 'session' },
  { method: 'POST', path: '/accounts', fn: 'accounts' },
  { method: 'GET', path: '/accounts', fn: 'accounts' },
  { method: 'GET', path: '/accounts/{accountId}', fn: 'accounts' },
  { method: 'PATCH', path: '/accounts/{accountId}', fn: 'accounts' },
  { method: 'DELETE', path: '/accounts/{accountId}', fn: 'accounts' },
  { method: 'POST', path: '/accounts/{accountId}/members', fn: 'accounts' },
  { method: 'PATCH', path: '/accounts/{accountId}/members/{userId}', fn: 'accounts' },
  { method: 'DELETE', path: '/accounts/{accountId}/members/{userId}', fn: 'accounts' },
  { method: 'GET', path: '/accounts/{accountId}/invitations', fn: 'accounts' },
  { method: 'GET', path: '/accounts/{accountId}/events', fn: 'accounts' },
  { method: 'DELETE', path: '/accounts/{accountId}/invitations/{invitationId}', fn: 'accounts' },
  { method: 'GET', path: '/me/invitations', fn: 'accounts' },
  { method: 'POST', path: '/invitations/{invitationId}/accept', fn: 'accounts' },
  { method: 'POST', path: '/invitations/{invitationId}/decline', fn: 'accounts' },
  { method: 'GET', path: '/accounts/{accountId}/installations', fn: 'list-installations' },
  { method: 'GET', path: '/accounts/{accountId}/installations/new', fn: 'list-installations' },
  { method: 'PUT', path: '/accounts/{accountId}/installations/{installationId}', fn: 'link-installation' },
  { method: 'PATCH', path: '/accounts/{accountId}/installations/{installationId}', fn: 'link-installation' },
  { method: 'DELETE', path: '/accounts/{accountId}/installations/{installationId}', fn: 'link-installation' },
  { method: 'POST', path: '/accounts/{accountId}/repositories', fn: 'create-repo' },
  { method: 'GET', path: '/accounts/{accountId}/repositories', fn: 'repositories' },
  { method: 'GET', path: '/accounts/{accountId}/repositories/{owner}/{repo}/tree', fn: 'repositories' },
  // `{path+}`: API Gateway's greedy variable (the rest of the path, slashes included); the contract
  // declares it as the parameter `{path}` (contractPath below).
  {
    method: 'GET',
    path: '/accounts/{accountId}/repositories/{owner}/{repo}/contents/{path+}',
    fn: 'repositories',
  },
  { method: 'POST', path: '/accounts/{accountId}/repositories/{owner}/{repo}/commits', fn: 'repositories' },
  { method: 'GET', path: '/accounts/{accountId}/service-access', fn: 'service-access' },
  { method: 'POST', path: '/accounts/{accountId}/service-access', fn: 'service-access' },
  { method: 'PATCH', path: '/accounts/{accountId}/service-access/{policyId}', fn: 'service-access' },
  { method: 'DELETE', path: '/accounts/{accountId}/service-access/{policyId}', fn: 'service-access' },
  { method: 'POST', path: '/webhooks/github', fn: 'webhook' },
  { method: 'POST', path: '/service/accounts/{accountId}/tokens', fn: 'token-vending', auth: 'iam' },
  { method: 'DELETE', path: '/service/tokens', fn: 'token-vending', auth: 'iam' },
];

/**
 * API Gateway's `$default` route: every request no route matches goes to this function, which answers
 * 404 `not_found` or 405 `method_not_allowed` in the contract's error shape (the local server does the same).
 */
export const DEFAULT_ROUTE = { routeKey: '$default', fn: 'health' } as const satisfies {
  routeKey: string;
  fn: FunctionName;
};

/** The route key API Gateway matches and hands the function (`GET /accounts/{accountId}`). */
export const routeKey = (route: Pick<RouteSpec, 'method' | 'path'>) => `${route.method} ${route.path}`;

/**
 * The path as openapi.yaml declares it: a greedy `{path+}` is the parameter `{path}`. A client fills it
 * with its slashes encoded (`src%2Findex.ts`, openapi-fetch's default) or not (`src/index.ts`); both
 * reach the file. The route key stays greedy because API Gateway's HTTP API decodes the request path
 * before it matches routes ("API Gateway decodes URL-encoded request parameters before passing them
 * to your backend integration", Working with routes for HTTP APIs; `%2F` reaches `rawPath` as `/`):
 * `…/contents/src%2Findex.ts` is matched as `…/contents/src/index.ts`, which a one-segment `{path}`
 * would miss. The local server matches the same way (local/api-event.ts).
 */
export const contractPath = (route: Pick<RouteSpec, 'path'>) => route.path.replace(/\{(\w+)\+\}/g, '{$1}');

/** The route key as openapi.yaml writes it (`contractPath`). */
export const contractRouteKey = (route: Pick<RouteSpec, 'method' | 'path'>) =>
  `${route.method} ${contractPath(route)}`;

/** Paths GitHub is told about when the App is registered (README). */
export const PUBLIC_PATHS = {
  oauthCallback: '/auth/callback',
  setup: '/auth/callback',
  webhook: '/webhooks/github',
} as const;
