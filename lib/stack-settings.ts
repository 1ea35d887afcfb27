import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CustomDomainSettings } from './api-domain.js';
import { readAppKeySigning } from './app-key-signing.js';
import type { ExistingSecrets, GitHubAppStackProps } from './github-app-stack.js';
import { REPOSITORY_SYNC_DEFAULT_MINUTES } from '../functions/shared/service-routes.js';
import { ABUSE_LIMIT_CONTEXT, type AbuseLimitOverrides } from './abuse-limits.js';

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

type ContextReader = (key: string) => unknown;

/**
 * Reads the stack's settings from CDK context (cdk.json, or `-c key=value` on the command line), so
 * nothing per environment is hard-coded. Bad values stop synth with a message naming the key.
 */
export function readStackSettings(context: ContextReader): GitHubAppStackProps & { stackName: string } {
  const list = (key: string): string[] => {
    const value = context(key);
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === 'string')
      return value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    throw new Error(
      `CDK context "${key}" must be a list of origins (cdk.json or -c ${key}=https://a,https://b)`,
    );
  };
  const optionalString = (key: string): string | undefined => {
    const value = context(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new Error(`CDK context "${key}" must be a string`);
    return value;
  };
  if (context('frontendOrigins') === undefined)
    throw new Error(
      'CDK context "frontendOrigins" is required: the origins of your frontend, e.g. -c frontendOrigins=https://app.example.com (docs/deploy.md)',
    );
  const origins = [...new Set(list('frontendOrigins').map(normalizeOrigin))];
  if (origins.length === 0) throw new Error('CDK context "frontendOrigins" must name at least one origin');
  const linkPolicy = optionalString('linkPolicy') ?? 'org-owners';
  if (linkPolicy !== 'org-owners' && linkPolicy !== 'org-members') {
    throw new Error(
      `CDK context "linkPolicy" must be org-owners (the default) or org-members (docs/how-it-works.md "Who may link")`,
    );
  }
  const retention = context('logRetentionDays');
  const interval = context('redeliveryIntervalMinutes');
  const syncInterval = context('repositorySyncIntervalMinutes');
  const activityRetention = context('activityRetentionDays');
  const secret = (key: string): string | undefined => {
    const value = optionalString(key);
    if (
      value !== undefined &&
      !SECRET_ARN.test(value) &&
      !(SECRET_NAME.test(value) && !value.startsWith('arn:'))
    )
      throw new Error(`CDK context "${key}" must be a Secrets Manager secret's ARN or name`);
    return value;
  };
  const existingSecrets = Object.fromEntries(
    (
      [
        ['app', secret('existingAppSecret')],
        ['webhook', secret('existingWebhookSecret')],
        ['serviceKeys', secret('existingServiceKeysSecret')],
      ] as const
    ).filter(([, value]) => value !== undefined),
  ) as ExistingSecrets;
  const tracing = context('tracing');
  if (tracing !== undefined && ![true, false, 'true', 'false'].includes(tracing as never))
    throw new Error('CDK context "tracing" must be true (the default) or false');
  const abuseLimits = abuseLimitSettings(context);
  const alarmEmail = optionalString('alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail))
    throw new Error('CDK context "alarmEmail" must be an e-mail address');
  // `-c eventBusName`: domain events go to this existing bus instead of one the stack creates.
  const eventBusName = optionalString('eventBusName');
  if (eventBusName !== undefined && !/^[A-Za-z0-9._/-]{1,256}$/.test(eventBusName))
    throw new Error('CDK context "eventBusName" must be the name of an EventBridge event bus');
  return {
    stackName: optionalString('stackName') ?? 'GitHubAppAccounts',
    frontendOrigins: origins,
    githubApiUrl: optionalString('githubApiUrl'),
    githubWebUrl: optionalString('githubWebUrl'),
    ...apiDomain(optionalString),
    linkPolicy,
    logRetentionDays: retention === undefined ? undefined : retentionDays(retention),
    redeliveryIntervalMinutes: interval === undefined ? undefined : intervalMinutes(interval),
    repositorySyncIntervalMinutes:
      syncInterval === undefined
        ? undefined
        : intervalMinutes(syncInterval, 'repositorySyncIntervalMinutes', REPOSITORY_SYNC_DEFAULT_MINUTES),
    activityRetentionDays:
      activityRetention === undefined ? undefined : activityRetentionDays(activityRetention),
    existingSecrets,
    tracing: tracing === undefined ? undefined : tracing === true || tracing === 'true',
    alarmEmail,
    ...(eventBusName ? { eventBusName } : {}),
    ...(Object.keys(abuseLimits).length > 0 ? { abuseLimits } : {}),
    ...readAppKeySigning(optionalString),
  };
}

function abuseLimitSettings(context: ContextReader): AbuseLimitOverrides {
  const limits: AbuseLimitOverrides = {};
  for (const key of Object.keys(ABUSE_LIMIT_CONTEXT) as Array<keyof typeof ABUSE_LIMIT_CONTEXT>) {
    const value = context(key);
    if (value === undefined || value === null || value === '') continue;
    const limit = Number(value);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000)
      throw new Error(
        `CDK context "${key}" must be a whole number from 1 to 1000000 (docs/security.md "Abuse limits")`,
      );
    limits[key] = limit;
  }
  return limits;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

/**
 * Scheme, host and port only, as a browser sends it in `Origin`: a trailing slash is dropped (CORS
 * compares origins exactly, so `https://app.example.com/` would never match), anything more is refused.
 */
export function normalizeOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`CDK context "frontendOrigins" holds "${value}", which is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(
      `CDK context "frontendOrigins" holds "${value}": an origin must be https:// (or http://)`,
    );
  if (
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  )
    throw new Error(
      `CDK context "frontendOrigins" holds "${value}": give an origin (scheme://host[:port]) only, no path`,
    );
  return url.origin;
}

/**
 * Where the API is served: `domainName` (+ `certificateArn`, optionally a Route 53 record) is a custom
 * domain the stack creates, and implies the public base URL `https://<domainName>`; `publicBaseUrl` is
 * for a domain managed outside the stack. One or the other, not both.
 */
function apiDomain(optionalString: (key: string) => string | undefined): {
  publicBaseUrl?: string;
  customDomain?: CustomDomainSettings;
} {
  const publicBaseUrl = optionalString('publicBaseUrl');
  const domainName = optionalString('domainName')?.toLowerCase();
  const certificateArn = optionalString('certificateArn');
  const distributionCertificateArn = optionalString('distributionCertificateArn');
  const hostedZoneId = optionalString('hostedZoneId');
  const hostedZoneName = optionalString('hostedZoneName');
  if (domainName === undefined) {
    for (const [key, value] of Object.entries({
      certificateArn,
      distributionCertificateArn,
      hostedZoneId,
      hostedZoneName,
    }))
      if (value !== undefined) throw new Error(`CDK context "${key}" needs "domainName"`);
    return { publicBaseUrl };
  }
  if (publicBaseUrl !== undefined)
    throw new Error(
      'CDK context "publicBaseUrl" and "domainName" exclude each other: domainName implies https://<domainName>',
    );
  if (!HOSTNAME.test(domainName))
    throw new Error(`CDK context "domainName" must be a host name such as api.example.com`);
  // The domain on the console's CloudFront distribution (console and API on it), or on API Gateway.
  const servedBy = distributionCertificateArn === undefined ? {} : ({ servedBy: 'cloudfront' } as const);
  if (distributionCertificateArn !== undefined) {
    if (certificateArn !== undefined)
      throw new Error(
        'CDK context "certificateArn" and "distributionCertificateArn" exclude each other: the domain is served by API Gateway or by CloudFront',
      );
    if (
      !CERTIFICATE_ARN.test(distributionCertificateArn) ||
      !distributionCertificateArn.includes(':us-east-1:')
    )
      throw new Error(
        'CDK context "distributionCertificateArn" must be the ARN of an ACM certificate in us-east-1 (where CloudFront reads certificates)',
      );
  } else if (certificateArn === undefined || !CERTIFICATE_ARN.test(certificateArn))
    throw new Error(
      'CDK context "domainName" needs "certificateArn": the ARN of an ACM certificate for it, in the stack\'s region (or "distributionCertificateArn", docs/console.md)',
    );
  const certificate = distributionCertificateArn ?? certificateArn ?? '';
  if ((hostedZoneId === undefined) !== (hostedZoneName === undefined))
    throw new Error('CDK context "hostedZoneId" and "hostedZoneName" go together (both, or neither)');
  if (hostedZoneId !== undefined && hostedZoneName !== undefined) {
    if (!HOSTED_ZONE_ID.test(hostedZoneId))
      throw new Error('CDK context "hostedZoneId" must be a Route 53 hosted zone ID such as Z0123456789ABC');
    const zone = hostedZoneName.toLowerCase().replace(/\.$/, '');
    if (domainName !== zone && !domainName.endsWith(`.${zone}`))
      throw new Error(`CDK context "domainName" (${domainName}) is not in the hosted zone ${zone}`);
    return {
      publicBaseUrl: `https://${domainName}`,
      customDomain: {
        domainName,
        certificateArn: certificate,
        hostedZone: { id: hostedZoneId, name: zone },
        ...servedBy,
      },
    };
  }
  return {
    publicBaseUrl: `https://${domainName}`,
    customDomain: { domainName, certificateArn: certificate, ...servedBy },
  };
}

/** Whole minutes, 1 to 1440: EventBridge's rate() granularity, at most a day between runs. */
function intervalMinutes(value: unknown, key = 'redeliveryIntervalMinutes', defaultMinutes = 10): number {
  const minutes = Number(value);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
    throw new Error(
      `CDK context "${key}" must be a whole number of minutes from 1 to 1440 (default ${defaultMinutes})`,
    );
  }
  return minutes;
}

/** Whole days, 1 to 3650: how long each account's activity log keeps an event (docs/events.md "Activity log"). */
function activityRetentionDays(value: unknown): number {
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > 3650)
    throw new Error(
      'CDK context "activityRetentionDays" must be a whole number of days from 1 to 3650 (default 90)',
    );
  return days;
}

function retentionDays(value: unknown): RetentionDays {
  const days = Number(value);
  const allowed = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number');
  const match = allowed.find((v) => Number(v) === days);
  if (match === undefined) {
    throw new Error(
      `CDK context "logRetentionDays" must be one of CloudWatch's retention periods, e.g. 30 or 90`,
    );
  }
  return match;
}
