/**
 * `-c appKeySigning=kms` (lib/app-key-signing.ts): the App's key in KMS, `kms:Sign` on it for the
 * functions that sign App JWTs only, and an App secret without `privateKey`; read back from the
 * synthesized template. The default (no context) keeps the PEM in the App secret and no KMS at all.
 */
import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/create-app.js';
import { APP_JWT_SIGNERS } from '../../lib/function-grants.js';
import { SERVICE_FUNCTIONS, type ServiceFunctionName } from '../../functions/shared/service-routes.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};
const base = {
  ...cdkJson.context,
  'aws:cdk:bundling-stacks': [],
  frontendOrigins: ['https://app.example.com'],
};
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
type Statement = { Action: string | string[]; Resource: unknown };

function build(extra: Record<string, unknown>) {
  const built = createApp({ context: { ...base, ...extra } });
  const json = Template.fromStack(built.stack).toJSON() as {
    Resources: Record<string, Resource>;
    Outputs?: Record<string, { Value: unknown }>;
  };
  const { stack } = built;
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as never);
  const statements = (fn: ServiceFunctionName): Statement[] => {
    const role = stack.functions[fn].fn.role;
    if (!role) throw new Error(`${fn} has no role`);
    const roleId = logicalId(role);
    return Object.values(json.Resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  };
  /** Every KMS statement a function's role holds: [actions, resource]. */
  const kmsGrants = (fn: ServiceFunctionName) =>
    statements(fn)
      .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('kms:')))
      .map((statement) => [[statement.Action].flat(), statement.Resource]);
  const environment = (fn: ServiceFunctionName) =>
    (
      json.Resources[logicalId(stack.functions[fn].fn)]?.Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
  const appSecret = json.Resources[logicalId(stack.node.findChild('GitHubAppSecret'))];
  const keys = Object.entries(json.Resources).filter(([, resource]) => resource.Type === 'AWS::KMS::Key');
  return { ...built, json, kmsGrants, environment, appSecret, keys };
}

const functions = Object.keys(SERVICE_FUNCTIONS) as ServiceFunctionName[];
const templateOf = (secret: Resource | undefined) =>
  JSON.parse(
    (secret?.Properties.GenerateSecretString as { SecretStringTemplate: string }).SecretStringTemplate,
  ) as Record<string, string>;

describe('-c appKeySigning=kms: the stack creates the key', () => {
  const built = build({ appKeySigning: 'kms' });
  const [[keyId, key] = ['', undefined]] = built.keys;

  it('an RSA_2048 SIGN_VERIFY key of origin EXTERNAL (for the imported PEM), retained', () => {
    expect(built.keys).toHaveLength(1);
    expect(key?.Properties).toMatchObject({
      KeySpec: 'RSA_2048',
      KeyUsage: 'SIGN_VERIFY',
      Origin: 'EXTERNAL',
    });
    expect(key?.DeletionPolicy).toBe('Retain');
    // The output import-app-key reads the key from.
    expect(built.json.Outputs?.AppKeyArn?.Value).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
  });

  it.each(functions)('%s: kms:Sign on that key alone if it signs App JWTs, else no KMS action', (fn) => {
    const expected = APP_JWT_SIGNERS.has(fn) ? [[['kms:Sign'], { 'Fn::GetAtt': [keyId, 'Arn'] }]] : [];
    expect(built.kmsGrants(fn)).toEqual(expected);
    const env = built.environment(fn);
    expect(env.APP_KEY_ID === undefined).toBe(!APP_JWT_SIGNERS.has(fn));
    // Every reader of the App secret validates it without a PEM.
    expect(env.APP_KEY_SIGNING).toBe(SERVICE_FUNCTIONS[fn].access.githubAppSecret ? 'kms' : undefined);
  });

  it('the signers read the App secret (their bundles: test/unit/app-key-bundles.test.ts)', () => {
    for (const fn of APP_JWT_SIGNERS)
      expect([fn, SERVICE_FUNCTIONS[fn].access.githubAppSecret]).toEqual([fn, true]);
  });

  it('the App secret has no privateKey field', () => {
    expect(Object.keys(templateOf(built.appSecret)).sort()).toEqual(
      ['appId', 'clientId', 'clientSecret', 'slug'].sort(),
    );
    expect(String(built.appSecret?.Properties.Description)).not.toContain('privateKey');
  });

  it('passes cdk-nag AwsSolutions', () => {
    expect(() => built.app.synth()).not.toThrow();
  });
});

describe('-c appKeySigning=kms -c appKeyArn=…: the stack takes the key', () => {
  const built = build({ appKeySigning: 'kms', appKeyArn: KEY_ARN });

  it('creates no key; the signers get kms:Sign on the ARN given, nothing more', () => {
    expect(built.keys).toHaveLength(0);
    for (const fn of functions) {
      expect([fn, built.kmsGrants(fn)]).toEqual([
        fn,
        APP_JWT_SIGNERS.has(fn) ? [[['kms:Sign'], KEY_ARN]] : [],
      ]);
      if (APP_JWT_SIGNERS.has(fn)) expect(built.environment(fn).APP_KEY_ID).toBe(KEY_ARN);
    }
    expect(() => built.app.synth()).not.toThrow();
  });

  it('refuses an appKeyArn that is no KMS key ARN, or without appKeySigning=kms', () => {
    expect(() => build({ appKeySigning: 'kms', appKeyArn: 'alias/github-app' })).toThrow(/appKeyArn/);
    expect(() => build({ appKeyArn: KEY_ARN })).toThrow(/needs "appKeySigning=kms"/);
    expect(() => build({ appKeySigning: 'hsm' })).toThrow(/appKeySigning/);
  });
});

describe('default: the PEM in the App secret', () => {
  const built = build({});

  it('no KMS key, no KMS action, no APP_KEY_* setting; the secret keeps privateKey', () => {
    expect(built.keys).toHaveLength(0);
    for (const fn of functions) {
      expect([fn, built.kmsGrants(fn)]).toEqual([fn, []]);
      expect([fn, built.environment(fn).APP_KEY_SIGNING, built.environment(fn).APP_KEY_ID]).toEqual([
        fn,
        undefined,
        undefined,
      ]);
    }
    // Byte for byte what earlier deployments generated from: a changed template regenerates the secret.
    expect(
      (built.appSecret?.Properties.GenerateSecretString as { SecretStringTemplate: string })
        .SecretStringTemplate,
    ).toBe('{"appId":"","slug":"","clientId":"","clientSecret":"","privateKey":""}');
  });
});
