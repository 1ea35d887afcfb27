/**
 * `npm run vend -- --account <id> --repo owner/name [--repo …] --permission contents:read [--show-token]`:
 * asks the running service for an installation token as a platform back-end would (docs/token-vending.md
 * "Locally"). Finds the API as `npm start` printed it (API_BASE_URL, else http://localhost:$PORT, 3000)
 * and signs with the first `serviceCredentials` entry of the local secrets file (or `--role`'s), with
 * the AWS SDK's SigV4 signer. `--aws` signs with the AWS credentials of the environment instead (a real
 * deployment: `--api https://<apiId>.execute-api.<region>.amazonaws.com`). Prints what the token reaches
 * and when it expires; the token itself only with --show-token.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import {
  VendingRefused,
  vendToken,
  type AwsCredentials,
  type VendedToken,
} from '../examples/token-vending-client.js';
import { localSecretsPath, type LocalSecretsFile } from '../local/local-secrets.js';

const USAGE = `Usage: npm run vend -- --account <accountId> --repo owner/name [--repo owner/name …]
                     --permission contents:read [--permission statuses:write …]
                     [--show-token] [--api <url>] [--role <role ARN or name>] [--secrets <file>] [--aws]`;

export type VendArgs = {
  accountId: string;
  repositories: string[];
  permissions: Record<string, 'read' | 'write'>;
  showToken: boolean;
  apiUrl: string;
  role: string | undefined;
  secretsFile: string;
  aws: boolean;
};

export function parseVendArgs(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): VendArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      account: { type: 'string' },
      repo: { type: 'string', multiple: true },
      permission: { type: 'string', multiple: true },
      'show-token': { type: 'boolean', default: false },
      api: { type: 'string' },
      role: { type: 'string' },
      secrets: { type: 'string' },
      aws: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.account || !values.repo?.length || !values.permission?.length) throw new Error(USAGE);
  const permissions: Record<string, 'read' | 'write'> = {};
  for (const entry of values.permission) {
    const [name, level] = entry.split(':');
    if (!name || (level !== 'read' && level !== 'write'))
      throw new Error(`--permission ${entry}: write it as name:read or name:write (contents:read)`);
    permissions[name] = level;
  }
  return {
    accountId: values.account,
    repositories: values.repo,
    permissions,
    showToken: values['show-token'] ?? false,
    apiUrl: values.api ?? env.API_BASE_URL ?? `http://localhost:${env.PORT ?? 3000}`,
    role: values.role,
    secretsFile: values.secrets ?? localSecretsPath(env),
    aws: values.aws ?? false,
  };
}

/** The signing credentials: the environment's (--aws), or the local secrets file's for the role. */
async function credentialsFor(args: VendArgs): Promise<{ credentials: AwsCredentials; as: string }> {
  if (args.aws) return { credentials: await fromEnv()(), as: 'the AWS credentials of the environment' };
  if (!existsSync(args.secretsFile))
    throw new Error(`No ${args.secretsFile}: start the service once (npm start), or pass --secrets.`);
  const file = JSON.parse(readFileSync(args.secretsFile, 'utf8')) as LocalSecretsFile;
  const all = file.serviceCredentials ?? [];
  const chosen = args.role
    ? all.find((entry) => entry.roleArn === args.role || entry.roleArn.endsWith(`:role/${args.role}`))
    : all[0];
  if (!chosen)
    throw new Error(
      `No service credentials${args.role ? ` for ${args.role}` : ''} in ${args.secretsFile} ("serviceCredentials").`,
    );
  return {
    credentials: { accessKeyId: chosen.accessKeyId, secretAccessKey: chosen.secretAccessKey },
    as: chosen.roleArn,
  };
}

/** What is printed: the token's scope and expiry, and the SHA-256 the service audited it under. */
export function describeToken(vended: VendedToken, showToken: boolean): string {
  const sha256 = createHash('sha256').update(vended.token).digest('hex');
  return [
    `installation ${vended.installationId}`,
    `  repositories  ${vended.repositories.join(', ')}`,
    `  permissions   ${Object.entries(vended.permissions)
      .map(([name, level]) => `${name}:${level}`)
      .join(', ')}`,
    `  expires       ${vended.expiresAt}`,
    `  sha256        ${sha256}   (the audit's key)`,
    showToken ? `  token         ${vended.token}` : '  token         (hidden: --show-token prints it)',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let args: VendArgs;
  try {
    args = parseVendArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const { credentials, as } = await credentialsFor(args);
  const region = process.env.AWS_REGION ?? 'us-east-1';
  process.stdout.write(`Asking ${args.apiUrl} as ${as} (SigV4, execute-api, ${region})\n`);
  try {
    const vended = await vendToken(
      args.apiUrl,
      { accountId: args.accountId, repositories: args.repositories, permissions: args.permissions },
      { credentials, region },
    );
    process.stdout.write(`${describeToken(vended, args.showToken)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof VendingRefused)) throw error;
    const { body } = error;
    process.stderr.write(
      [
        `Refused (${error.status} ${body.error ?? ''}): ${body.message ?? ''}`,
        ...(body.repositories?.length ? [`  repositories not granted: ${body.repositories.join(', ')}`] : []),
        ...(body.permissions && Object.keys(body.permissions).length
          ? [
              `  permissions not granted: ${Object.entries(body.permissions)
                .map(([name, level]) => `${name}:${level}`)
                .join(', ')}`,
            ]
          : []),
      ].join('\n') + '\n',
    );
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`vend: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
