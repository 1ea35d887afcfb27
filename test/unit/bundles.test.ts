import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleEnvironment, readBundles, type LocalBundleSettings } from '../../local/bundles.js';
import { SERVICE_FUNCTIONS } from '../../functions/shared/service-routes.js';

const pascal = (name: string) =>
  name
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');

/** A cdk.out with the shape `cdk synth` writes: one template, one asset folder per function. */
function fakeCdkOut(environment: (name: string) => Record<string, unknown>, skip?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  const resources: Record<string, unknown> = {
    Table: { Type: 'AWS::DynamoDB::Table', Metadata: { 'aws:cdk:path': 'Stack/Table/Resource' } },
  };
  for (const name of Object.keys(SERVICE_FUNCTIONS)) {
    if (name === skip) continue;
    mkdirSync(join(dir, `asset.${name}`));
    writeFileSync(join(dir, `asset.${name}`, 'index.mjs'), 'export const handler = () => ({});');
    resources[`${pascal(name)}Function`] = {
      Type: 'AWS::Lambda::Function',
      Properties: { Handler: 'index.handler', Environment: { Variables: environment(name) } },
      Metadata: {
        'aws:cdk:path': `Stack/${pascal(name)}/Function/Resource`,
        'aws:asset:path': `asset.${name}`,
      },
    };
  }
  writeFileSync(join(dir, 'Stack.template.json'), JSON.stringify({ Resources: resources }));
  return dir;
}

const local: LocalBundleSettings = {
  TABLE_NAME: 'local-table',
  API_BASE_URL: 'http://localhost:3000',
  FRONTEND_ORIGINS: 'http://app.test',
  GITHUB_API_URL: 'http://localhost:3001',
  GITHUB_WEB_URL: 'http://localhost:3001',
  LOCAL_SECRETS_FILE: '/tmp/secrets.json',
  DYNAMODB_ENDPOINT: 'http://localhost:8000',
};

const stackEnvironment = (name: string) => ({
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_SERVICE_NAME: 'github-app-accounts',
  API_BASE_URL: { 'Fn::GetAtt': ['HttpApi', 'ApiEndpoint'] },
  GITHUB_API_URL: 'https://api.github.com',
  ...(name === 'health' ? {} : { TABLE_NAME: { Ref: 'Table' }, GITHUB_APP_SECRET_ARN: { Ref: 'Secret' } }),
});

describe('readBundles', () => {
  it("maps every function to its own asset's index.mjs and the template's environment", () => {
    const dir = fakeCdkOut(stackEnvironment);
    const bundles = readBundles(dir);
    expect(Object.keys(bundles).sort()).toEqual(Object.keys(SERVICE_FUNCTIONS).sort());
    expect(bundles['create-repo'].file).toBe(join(dir, 'asset.create-repo', 'index.mjs'));
    expect(bundles.health.environment).toEqual(stackEnvironment('health'));
  });

  it('refuses a folder without a synthesized stack, or one missing a function', () => {
    expect(() => readBundles(mkdtempSync(join(tmpdir(), 'empty-')))).toThrow(/run cdk synth first/);
    expect(() => readBundles(fakeCdkOut(stackEnvironment, 'webhook'))).toThrow(/no bundled function webhook/);
  });
});

describe('bundleEnvironment', () => {
  it("keeps the stack's values, replaces AWS references with local ones and drops secret ARNs", () => {
    const env = bundleEnvironment(readBundles(fakeCdkOut(stackEnvironment)), local);
    expect(env).toEqual({
      ...local,
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'github-app-accounts',
    });
  });

  it('refuses a reference to an AWS resource that has no local stand-in', () => {
    const bundles = readBundles(
      fakeCdkOut((name) => ({ ...stackEnvironment(name), QUEUE_URL: { Ref: 'Queue' } })),
    );
    expect(() => bundleEnvironment(bundles, local)).toThrow(/QUEUE_URL .* has no local value/);
  });

  it('refuses functions that disagree on a setting they would share in one process', () => {
    const bundles = readBundles(
      fakeCdkOut((name) => ({
        ...stackEnvironment(name),
        LINK_POLICY: name === 'accounts' ? 'anyone' : 'owners',
      })),
    );
    expect(() => bundleEnvironment(bundles, local)).toThrow(/LINK_POLICY differs between functions/);
  });
});
