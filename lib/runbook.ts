/**
 * The runbook: what each alarm means and what to do, as data. `lib/observability.ts` creates one alarm
 * per entry (its description names the entry's anchor), and `npm run docs` writes the runbook section
 * of docs/operations.md from it, so an alarm without an entry does not type-check and the docs cannot
 * drift (test/unit/docs-generated.test.ts). Plain data: no CDK import, the doc generator reads it.
 */

export type RunbookEntry = {
  /** One line: the alarm's description in CloudWatch. */
  summary: string;
  means: string;
  confirm: string;
  do: string;
  /** More to know, as `label: text` bullets after "Do". */
  more?: Record<string, string>;
};

/** The stack's default name: alarm names are `<stack name>-<signal>`. */
export const DEFAULT_STACK_NAME = 'GitHubAppAccounts';

/** Alarms the stack creates once. */
export const STACK_ALARMS = {
  Api5xxRate: {
    summary: 'API answers 5xx to ≥ 5 % of requests.',
    means: '5 % or more of API requests in 5 minutes were answered 5xx.',
    confirm:
      'the dashboard\'s "API requests and 5xx %"; then which function: the `*-Errors` alarms and the access log (`status` ≥ 500, `routeKey`). Logs Insights: `filter level = "ERROR" | stats count() by routeKey`.',
    do: '503s with `github_*` codes come from GitHub (see the GitHub alarms); `service_unavailable` from DynamoDB (see the DynamoDB alarms); `internal_error` is a bug: read the error log line and its trace, roll back the last deploy if it started with it.',
  },
  ApiLatencyP99: {
    summary: 'API p99 latency ≥ 5 s.',
    means: 'the slowest 1 % of API requests took 5 s or more over 5 minutes.',
    confirm:
      '"API latency p50 / p99" and the functions\' "max duration"; X-Ray\'s service map shows whether GitHub, DynamoDB or Secrets Manager is slow.',
    do: "slow GitHub calls (subsegments to `api.github.com`) are GitHub's: check githubstatus.com. Cold starts after a deploy settle by themselves. Sustained slowness in our code: look at the trace's longest segment.",
  },
  DynamoDbThrottles: {
    summary: 'DynamoDB throttled requests to the table.',
    means:
      'DynamoDB throttled reads or writes on the table (on-demand tables throttle when traffic more than doubles at once, or a partition is hot).',
    confirm:
      '"DynamoDB throttles and system errors"; the table\'s "Monitor" tab in the DynamoDB console; the service answers 503 `service_unavailable` with `Retry-After` meanwhile.',
    do: 'short bursts resolve themselves (clients retry after `Retry-After`). If sustained, find the hot key with CloudWatch Contributor Insights for DynamoDB, and check for a runaway client hitting one account.',
  },
  DynamoDbSystemErrors: {
    summary: 'DynamoDB answered requests with 5xx errors.',
    means: 'DynamoDB answered requests with internal (5xx) errors.',
    confirm: 'the same graph; the AWS Health Dashboard for DynamoDB in the region.',
    do: 'nothing to fix on our side: the SDK retries and the service answers 503 with `Retry-After`. If it lasts, follow the AWS Health event; webhook deliveries that failed meanwhile are redelivered by the job.',
  },
  WebhookDeliveriesFailed: {
    summary: 'Webhook deliveries failed while being applied (GitHub will show them failed).',
    means:
      'at least 3 webhook deliveries in 5 minutes failed while being applied or recorded (answered 5xx; GitHub shows them failed). Invalid signatures are not counted here (`WebhookInvalidSignatures`).',
    confirm:
      '"Webhook deliveries by outcome"; the webhook function\'s error lines (`deliveryId`, `event`); GitHub\'s App settings → Advanced → Recent deliveries.',
    do: "if DynamoDB or GitHub is failing, wait: the redelivery job sends them again ([how-it-works.md](how-it-works.md)). If one event type always fails, it is a bug: fix and deploy; the job then redelivers them (or redeliver from GitHub's page).",
  },
  WebhookRedeliveryFailed: {
    summary: 'The scheduled redelivery job failed.',
    means: 'a run of the scheduled redelivery job failed in the last hour.',
    confirm:
      'the `webhook-redelivery` function\'s logs ("Webhook redelivery run" lines and errors) and its Errors graph.',
    do: 'a GitHub throttle or outage: the next run retries from the same point. Invalid App credentials (401 on the App JWT): fix the App secret ([deploy.md](deploy.md#5-fill-the-secrets)). Otherwise read the error and its trace.',
    more: {
      'Reading a run':
        '`complete: false` is normal while anything is outstanding (`redelivered`, `skipped`: held by another run, `deferred`, `errors`); the checkpoint stays before the oldest failed delivery not yet resolved, so nothing is dropped. `givenUp` > 0 (an error line "Webhook delivery keeps failing") needs an operator: fix the cause, then redeliver from GitHub\'s page. "Installation event of the same second … confirming with GitHub" lines are normal: the reconciler (`repository-sync`, reason `confirm`) stores GitHub\'s current details.',
    },
  },
  RepositorySyncFailed: {
    summary: 'A repository sync (reconciler) run failed: the repository index may be stale.',
    means:
      "a reconciler run threw in the last hour (not one that checkpointed for time, budget or a throttle: those are normal and continue later). The repository index of that installation may be stale until a run completes; lists still answer from the index, with the installation's `syncedAt`.",
    confirm:
      'the `repository-sync` function\'s logs: the error line, and the "Repository sync run" lines of that `installationId`; the dashboard\'s "Repository sync runs by outcome".',
    do: 'DynamoDB throttling or an outage: nothing, the next scheduled run continues from the checkpoint. Invalid App credentials (401 on the JWT or the token mint): fix the App secret. Otherwise a bug: read the error and its trace, fix and deploy; to resync one installation at once, invoke the function with `{"installationId": <id>, "reason": "schedule"}` (`aws lambda invoke --invocation-type Event`). See [repository-index.md](repository-index.md#reconciler).',
  },
  RepositorySyncEventsDropped: {
    summary: 'Lambda dropped requests for the reconciler after its retries: the schedule makes them good.',
    means:
      "an asynchronous invocation of `repository-sync` (a sync asked for by an install, a link or new permissions; a continuation; a confirmation of an installation's details with GitHub) failed all three attempts, or waited longer than Lambda keeps events, and Lambda dropped it (`AsyncEventsDropped`).",
    confirm:
      'the function\'s "AsyncEventsDropped" metric and its error lines around that time (`installationId`, `reason`); `RepositorySyncFailed` usually fires too.',
    do: 'nothing is lost: the next scheduled run syncs every installation, and confirms every installation whose confirmation is still pending (`INSTALLATION#CONFIRMING` items, written with the details they question, removed once confirmed). If it keeps happening, fix what makes the runs fail (see `RepositorySyncFailed`). To make one installation good at once, invoke the function with `{"installationId": <id>, "reason": "confirm"}` or `"schedule"`.',
  },
  EventDeliveryFailed: {
    summary: 'The event pipe failed to deliver domain events to the bus (it retries, then dead-letters).',
    means:
      "an execution of the EventBridge Pipe that carries outbox items from the table's stream to the event bus failed (or partly failed, or timed out) in 5 minutes: the enrichment Lambda or EventBridge PutEvents. The pipe retries the batch (bisecting it) up to 10 times; events of that shard wait meanwhile, so consumers see them late, not lost.",
    confirm:
      "the pipe's metrics in CloudWatch (`AWS/EventBridge/Pipes`, `PipeName`): `EnrichmentStageFailed` (then the `Events/Enrichment` function's log group) or `TargetStageFailed` (EventBridge: throttling, a deleted `-c eventBusName` bus, a policy). `{stack}-EventDeadLetters` fires if retries ran out.",
    do: 'an EventBridge throttle or outage passes: nothing to do. A bus that is gone or a role that lost `events:PutEvents`: fix it and redeploy; the pipe resumes from where it stopped (events up to 6 h old; older ones go to the dead-letter queue). An enrichment error is a bug (an outbox item it cannot read): fix and deploy; see `{stack}-EventDeadLetters` for what was set aside.',
  },
  EventDeadLetters: {
    summary:
      "Domain events were set aside in the event pipe's dead-letter queue: consumers have not had them.",
    means:
      "a batch of stream records failed all the pipe's retries, or was older than 6 h, and the pipe put its description in the dead-letter queue (SQS, 14 days). Those events did not reach the bus; later ones did (so consumers see them out of order once re-published).",
    confirm:
      "the queue's messages (`aws sqs receive-message`): each names the shard and the first and last sequence numbers of the failed batch, and the error. `{stack}-EventDeliveryFailed` fired before.",
    do: 'fix the cause first (see `{stack}-EventDeliveryFailed`). Then re-publish: the outbox items stay in the table 7 days (`PK = EVENT#<eventId>`, `detailType`, `detail`); for each event of the failed range put `{"Source": "github-app-accounts", "DetailType": <detailType>, "Detail": <detail as JSON>, "EventBusName": <the EventBusName output>}` with `aws events put-events` (consumers drop what they already had by `detail.eventId`). Delete the queue messages once done.',
  },
  ActivityLogFailedBatches: {
    summary: 'Stream batches the activity log could not record are on its dead-letter queue.',
    means:
      "the activity-log function failed a batch of the table's stream through all its retries (halved down to single records), so Lambda described it on the `ActivityLogDeadLetters` queue: those events are missing from some accounts' activity logs (`GET /accounts/{accountId}/events`). Their delivery to EventBridge is apart and unaffected.",
    confirm:
      "the queue's messages (SQS console, or `aws sqs receive-message`): each names the shard and the sequence numbers of the batch; the function's error lines and `Activity partly recorded` warnings around that time.",
    do: "fix what failed (DynamoDB throttling or an outage passes by itself; an error in the function is a bug: fix and deploy). Then record the batch again: the outbox items (`EVENT#<eventId>`, kept 7 days) hold the events; re-invoking the function with those items as INSERT records rewrites each account's item (a replay never duplicates: the key is the event's time and id). Delete the messages once done.",
  },
  TokenRefreshFailureRate: {
    summary: 'Over 20 % of user-token refreshes failed.',
    means: 'over 20 % of user-token refreshes failed in 15 minutes (with at least 5 attempts).',
    confirm:
      '"Refresh failures by reason". `refused` means GitHub refused refresh tokens (users must sign in again: see `ReauthorizationRequired`); `rate_limited`/`github_error`/`timed_out`/`not_sent`/`lost` point at GitHub or the network.',
    do: 'many `refused` at once: check that the App\'s client secret in the App secret is current and that "Expire user authorization tokens" was not switched. GitHub-side reasons: check githubstatus.com; users get 503 and can retry.',
  },
  GitHubRateLimited: {
    summary: 'GitHub rate-limited the App (403/429 throttling).',
    means:
      'GitHub throttled at least one call in 5 minutes (primary or secondary rate limit); users get 503 `github_rate_limited` with `Retry-After`.',
    confirm: '"GitHub answers by status class" and "GitHub rate limit left"; the error lines name the route.',
    do: "secondary limits (bursts of writes such as repository creation, or several large installations resyncing at once) pass within minutes. Primary limits: find which installation or user is busy; GitHub raises an installation's limit with its repositories and users. Consider lowering the API's route throttles ([deploy.md](deploy.md#throttling)).",
  },
  ServiceTokenRefusals: {
    summary: 'Token vending refused ≥ 20 requests in 5 minutes.',
    means:
      'platform back-ends were refused installation tokens (403 on `POST /service/accounts/{accountId}/tokens`) at least 20 times in 5 minutes: a back-end asks for repositories or permissions its service access policy does not grant, its role is not named by any policy, or a role is probing for tokens.',
    confirm:
      '"Service tokens vended / refused" on the dashboard, split by `reason` (`service_access_denied`, `outside_service_access_policy`, `repository_not_in_scope`, …); Logs Insights on the token-vending function: `filter message = "Service token refused" | stats count() by principal, reason, accountId`.',
    do: 'one principal and one account: a back-end deployed with a new need; the account owner widens its policy (`PATCH /accounts/{accountId}/service-access/{policyId}`) or the back-end asks for less. Many reasons from one principal, or accounts it has no policy with: treat it as probing; nothing was vended (every refusal is before a token exists). Remove the role’s `execute-api:Invoke` grant on the service routes in AWS IAM. See [token-vending.md](token-vending.md).',
  },
  GitHubRateLimitLow: {
    summary: 'Less than 10 % of a GitHub rate limit was left.',
    means: 'some GitHub answer in 5 minutes reported less than 10 % of its rate limit left.',
    confirm: '"GitHub rate limit left (lowest %)"; which calls: the logs around that time.',
    do: 'act before `{stack}-GitHubRateLimited` follows: find the busy installation or user, slow it down (route throttles), and check for a client polling in a loop.',
  },
} satisfies Record<string, RunbookEntry>;

export type StackAlarm = keyof typeof STACK_ALARMS;

/**
 * Alarms the stack creates for every function, `{function}` standing for the function's name
 * (`webhook`, `repository-sync`, …) and `{Function}` for its PascalCase form in the alarm name.
 */
export const FUNCTION_ALARMS = {
  Errors: {
    summary: '{function} threw or timed out.',
    means:
      'the function threw (or timed out) at least once in 5 minutes; typed errors answered as 4xx/5xx do not count, so this is an unhandled error or a timeout.',
    confirm: 'its log group, level ERROR, and the trace of that request in X-Ray.',
    do: 'a timeout: see `{stack}-{Function}-DurationNearTimeout`. Otherwise a bug or a bad deploy: read the stack trace, roll back if it started with a deploy, fix and add a test. For `repository-sync`, also see `{stack}-RepositorySyncFailed`.',
  },
  Throttles: {
    summary: '{function} was throttled.',
    means:
      "Lambda refused to run the function at least once in 5 minutes (the account's concurrency was used up; for `repository-sync`, e.g. by the schedule's fan-out to many installations).",
    confirm: "the function's Throttles graph and the account's `ConcurrentExecutions` in CloudWatch.",
    do: 'check for a traffic spike or a runaway caller (API access logs by `ip`); lower the route throttles, or ask AWS for a higher concurrency quota. Asynchronous invocations (`repository-sync`) are retried by Lambda and the next schedule requests every installation again; if it lasts, lengthen `-c repositorySyncIntervalMinutes`.',
  },
  DurationNearTimeout: {
    summary: '{function} ran for ≥ 80 % of its {timeout} s timeout.',
    means: 'an invocation ran for 80 % or more of its timeout: the next may time out.',
    confirm:
      "the function's max duration graph, and the slow traces in X-Ray (which subsegment: GitHub, DynamoDB, Secrets Manager).",
    do: "a slow GitHub or DynamoDB resolves with them (check their status pages). Slowness in our code: find the trace's longest segment and fix it. `repository-sync` checkpoints 30 s before its timeout: a very large installation's first pass continues from its checkpoint at the next run.",
  },
} satisfies Record<string, RunbookEntry>;

export type FunctionAlarm = keyof typeof FUNCTION_ALARMS;

/** `repository-sync` → `RepositorySync`: the function's part of its alarms' names. */
export const pascalCase = (name: string): string =>
  name.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());

/** A heading's anchor as GitHub renders it (lower case, punctuation but `-` and `_` dropped, spaces to `-`). */
export const headingAnchor = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The runbook heading of a stack alarm, or of a function alarm kind (`<stack>-<Function>-Errors`). */
export function runbookHeading(alarm: StackAlarm | FunctionAlarm, stack = DEFAULT_STACK_NAME): string {
  return alarm in STACK_ALARMS ? `${stack}-${alarm}` : `${stack}-<Function>-${alarm}`;
}

/** Where an alarm's description sends the operator. */
export function runbookLink(alarm: StackAlarm | FunctionAlarm): string {
  return `docs/operations.md#${headingAnchor(runbookHeading(alarm))}`;
}

const fill = (text: string, values: Record<string, string>) =>
  text.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);

/** The runbook section of docs/operations.md (`npm run docs` writes it between its markers). */
export function renderRunbook(functionNames: readonly string[]): string {
  const entry = (heading: string, text: RunbookEntry, values: Record<string, string>) =>
    [
      `### ${heading}`,
      '',
      `- **Means:** ${fill(text.means, values)}`,
      `- **Confirm:** ${fill(text.confirm, values)}`,
      `- **Do:** ${fill(text.do, values)}`,
      ...Object.entries(text.more ?? {}).map(([label, more]) => `- **${label}:** ${fill(more, values)}`),
      '',
    ].join('\n');
  const stack = DEFAULT_STACK_NAME;
  const names = functionNames.map((name) => `\`${pascalCase(name)}\` (\`${name}\`)`).join(', ');
  return [
    ...Object.entries(STACK_ALARMS).map(([name, text]) =>
      entry(runbookHeading(name as StackAlarm), text, { stack }),
    ),
    `Every function has the three alarms below; \`<Function>\` is one of ${names}.`,
    '',
    ...Object.entries(FUNCTION_ALARMS).map(([kind, text]) =>
      entry(runbookHeading(kind as FunctionAlarm), text, { stack, Function: '<Function>' }),
    ),
  ].join('\n');
}
