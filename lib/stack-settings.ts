import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ExistingSecrets, GitHubAppStackProps } from './github-app-stack.js';

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
  const origins = list('frontendOrigins');
  for (const origin of origins) {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new Error(`CDK context "frontendOrigins" holds "${origin}", which is not a URL`);
    }
    if (parsed.origin !== origin.replace(/\/+$/, '')) {
      throw new Error(
        `CDK context "frontendOrigins" holds "${origin}": give an origin (scheme://host[:port]) only`,
      );
    }
  }
  const linkPolicy = optionalString('linkPolicy') ?? 'org-owners';
  if (linkPolicy !== 'org-owners' && linkPolicy !== 'org-members') {
    throw new Error(
      `CDK context "linkPolicy" must be org-owners (the default) or org-members (README "Who may link")`,
    );
  }
  const retention = context('logRetentionDays');
  const interval = context('redeliveryIntervalMinutes');
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
  const alarmEmail = optionalString('alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail))
    throw new Error('CDK context "alarmEmail" must be an e-mail address');
  return {
    stackName: optionalString('stackName') ?? 'GitHubAppAccounts',
    frontendOrigins: origins,
    githubApiUrl: optionalString('githubApiUrl'),
    githubWebUrl: optionalString('githubWebUrl'),
    publicBaseUrl: optionalString('publicBaseUrl'),
    linkPolicy,
    logRetentionDays: retention === undefined ? undefined : retentionDays(retention),
    redeliveryIntervalMinutes: interval === undefined ? undefined : intervalMinutes(interval),
    existingSecrets,
    tracing: tracing === undefined ? undefined : tracing === true || tracing === 'true',
    alarmEmail,
  };
}

/** Whole minutes, 1 to 1440: EventBridge's rate() granularity, at most a day between runs. */
function intervalMinutes(value: unknown): number {
  const minutes = Number(value);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
    throw new Error(
      'CDK context "redeliveryIntervalMinutes" must be a whole number of minutes from 1 to 1440 (default 10)',
    );
  }
  return minutes;
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
