import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';

/**
 * The one CloudWatch namespace of the service (the stack's alarms and dashboard read it: see
 * lib/observability.ts). Every metric carries the `service` dimension and at most one more, from a
 * small fixed set of values (a reason, an outcome, a status class): never a user, account or id.
 */
export const METRICS_NAMESPACE = 'GitHubAppAccounts';
export const SERVICE_NAME = 'github-app-accounts';

/** Every metric name, so the stack and the code cannot drift apart. */
export const METRIC = {
  signIns: 'SignIns',
  tokenRefreshes: 'TokenRefreshes',
  tokenRefreshFailures: 'TokenRefreshFailures',
  reauthorizationRequired: 'ReauthorizationRequired',
  installationTokenMints: 'InstallationTokenMints',
  installationTokenCacheHits: 'InstallationTokenCacheHits',
  installationLinks: 'InstallationLinks',
  installationUnlinks: 'InstallationUnlinks',
  repositoriesCreated: 'RepositoriesCreated',
  commits: 'Commits',
  /** Commits refused because the branch was not where the caller expected (409 head_moved). */
  commitsHeadMoved: 'CommitsHeadMoved',
  webhookDeliveries: 'WebhookDeliveries',
  webhookInvalidSignatures: 'WebhookInvalidSignatures',
  redeliveries: 'WebhookRedeliveries',
  redeliveryRunFailures: 'WebhookRedeliveryRunFailures',
  githubAnswers: 'GitHubAnswers',
  githubRateLimited: 'GitHubRateLimited',
  githubRateLimitRemainingPercent: 'GitHubRateLimitRemainingPercent',
  conditionalCheckConflicts: 'ConditionalCheckConflicts',
  /** Reconciler runs, by outcome (reason: completed, checkpointed, deferred, busy, suspended, …). */
  repositorySyncRuns: 'RepositorySyncRuns',
  repositorySyncFailures: 'RepositorySyncFailures',
  /** Requests refused by an abuse limit (reason: the limit, e.g. `invitations_per_hour`). */
  abuseLimitRefusals: 'AbuseLimitRefusals',
  /** Installation tokens handed to platform back-ends (docs/token-vending.md). */
  serviceTokensVended: 'ServiceTokensVended',
  /** Token vending requests refused with 403 (reason: the refusal's code, e.g. `outside_service_access_policy`). */
  serviceTokensRefused: 'ServiceTokensRefused',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** The dimension (beside `service`) a metric is also broken down by, with its few possible values. */
export type Breakdown =
  | { outcome: 'applied' | 'ignored' | 'duplicate' | 'failed' | 'invalid' }
  | { reason: string }
  | { statusClass: '2xx' | '3xx' | '4xx' | '5xx' };

/** One instance per container; the handler middleware flushes it after every invocation. */
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
});

/**
 * Adds one to a counter. With a breakdown, the count is written twice: once with the `service`
 * dimension only (what an alarm watches, whatever the reason) and once with the breakdown as well
 * (what the dashboard splits by), as its own EMF line.
 */
export function count(name: MetricName, breakdown?: Breakdown, value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
  if (breakdown === undefined) return;
  const [key, dimension] = Object.entries(breakdown)[0] as [string, string];
  const single = metrics.singleMetric();
  single.addDimension(key, dimension);
  single.addMetric(name, MetricUnit.Count, value);
}

/** Records a percentage reading (every reading is kept: alarms read its Minimum). */
export function percent(name: MetricName, value: number): void {
  metrics.addMetric(name, MetricUnit.Percent, value);
}

/** Writes the counters gathered so far as one EMF line (nothing when there are none). */
export function publishMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/**
 * Middy middleware: flushes the counters after each invocation, also when it throws (Powertools' own
 * logMetrics warns on every invocation that counted nothing).
 */
export function flushMetrics(): MiddlewareObj {
  return { after: publishMetrics, onError: publishMetrics };
}
