import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SERVICE_FUNCTIONS, type ServiceFunctionName } from '../functions/shared/service-routes.js';

/** One function as `cdk synth` wrote it: the bundle Lambda loads and the environment the stack gives it. */
export type FunctionBundle = {
  /** Absolute path of the asset's entry module (`index.mjs` for the `index.handler` handler). */
  file: string;
  /** The function's `Environment.Variables` from the template: strings, or CloudFormation intrinsics. */
  environment: Record<string, unknown>;
};

type TemplateResource = {
  Type: string;
  Properties?: { Handler?: string; Environment?: { Variables?: Record<string, unknown> } };
  Metadata?: Record<string, unknown>;
};

/**
 * Which bundle belongs to which function, read from the synthesized template (the construct path
 * `<Stack>/<PascalName>/Function/Resource` and the `aws:asset:path` metadata), so the tests load
 * exactly the asset `cdk deploy` would upload for that function.
 */
export function readBundles(cdkOutDir: string): Record<ServiceFunctionName, FunctionBundle> {
  const dir = resolve(cdkOutDir);
  const templates = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.template.json')) : [];
  if (templates.length !== 1)
    throw new Error(`expected one stack template in ${dir} (run cdk synth first), found ${templates.length}`);
  const template = JSON.parse(readFileSync(join(dir, templates[0] ?? ''), 'utf8')) as {
    Resources: Record<string, TemplateResource>;
  };
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  const bundles = {} as Record<ServiceFunctionName, FunctionBundle>;
  for (const name of Object.keys(SERVICE_FUNCTIONS) as ServiceFunctionName[]) {
    const suffix = `/${pascalCase(name)}/Function/Resource`;
    const resource = functions.find((r) => {
      const cdkPath = r.Metadata?.['aws:cdk:path'];
      return typeof cdkPath === 'string' && cdkPath.endsWith(suffix);
    });
    const assetPath = resource?.Metadata?.['aws:asset:path'];
    if (!resource || typeof assetPath !== 'string')
      throw new Error(`no bundled function ${name} (${suffix}) in ${templates[0]}`);
    const [module, exported] = (resource.Properties?.Handler ?? '').split('.');
    if (exported !== 'handler')
      throw new Error(`${name}: unexpected handler ${resource.Properties?.Handler}`);
    const file = join(dir, assetPath, `${module}.mjs`);
    if (!existsSync(file)) throw new Error(`${name}: bundle ${file} is missing`);
    bundles[name] = { file, environment: resource.Properties?.Environment?.Variables ?? {} };
  }
  return bundles;
}

/** Settings a local run must supply in place of what only exists in AWS (or points at real GitHub). */
export type LocalBundleSettings = {
  TABLE_NAME: string;
  API_BASE_URL: string;
  FRONTEND_ORIGINS: string;
  GITHUB_API_URL: string;
  GITHUB_WEB_URL: string;
  LOCAL_SECRETS_FILE: string;
  DYNAMODB_ENDPOINT: string;
} & Record<string, string>;

/**
 * The environment the bundles run with locally: every variable the stack sets, with the values that
 * only exist in AWS replaced by local ones. References to resources (`{ Ref }`, `{ Fn::GetAtt }`) must
 * have a local stand-in or this throws, so a new AWS-only setting cannot slip past the suite unnoticed;
 * secret ARNs give way to LOCAL_SECRETS_FILE. One process serves every function (as `npm start`
 * does), so the functions' environments are merged and must agree on every shared name.
 */
export function bundleEnvironment(
  bundles: Record<ServiceFunctionName, FunctionBundle>,
  local: LocalBundleSettings,
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [fn, { environment }] of Object.entries(bundles)) {
    for (const [key, value] of Object.entries(environment)) {
      if (key.endsWith('_SECRET_ARN')) continue;
      const resolved = local[key] ?? (typeof value === 'string' ? value : undefined);
      if (resolved === undefined)
        throw new Error(`${fn}: ${key} is ${JSON.stringify(value)} in the template and has no local value`);
      if (merged[key] !== undefined && merged[key] !== resolved)
        throw new Error(`${fn}: ${key} differs between functions (${merged[key]} vs ${resolved})`);
      merged[key] = resolved;
    }
  }
  return { ...merged, ...local };
}

function pascalCase(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
