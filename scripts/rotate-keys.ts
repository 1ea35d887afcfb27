/**
 * `npm run rotate-keys`: rotates the service keys (docs/deploy.md "Rotating the service keys"; options in
 * USAGE below). Prints key ids, never key material.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  RotationError,
  rotateServiceKeys,
  type RotationOptions,
  type RotationSummary,
} from '../functions/shared/secrets/key-rotation.js';
import { localSecretsPath } from '../local/local-secrets.js';

/** Rotates `serviceKeys` in a local secrets file, replacing the file atomically (mode 0600). */
export async function rotateLocalSecretsFile(
  path: string,
  options: RotationOptions = {},
): Promise<RotationSummary> {
  let file: Record<string, unknown>;
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new RotationError(
      `Cannot read ${path} (run npm start once to create it): ${(error as Error).message}`,
    );
  }
  const { secret, summary } = rotateServiceKeys(file.serviceKeys, options);
  // A reader (or a crash) never sees half a file: write a sibling, then rename over the original.
  const temporary = join(dirname(path), `.secrets-${randomUUID()}.tmp`);
  await writeFile(temporary, `${JSON.stringify({ ...file, serviceKeys: secret }, null, 2)}\n`, {
    mode: 0o600,
  });
  await rename(temporary, path);
  return summary;
}

/** Rotates the service-keys secret in Secrets Manager: a new AWSCURRENT version. */
export async function rotateSecretsManagerSecret(
  client: SecretsManagerClient,
  secretId: string,
  options: RotationOptions = {},
): Promise<RotationSummary> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (SecretString === undefined) throw new RotationError(`Secret ${secretId} holds no string value.`);
  let value: unknown;
  try {
    value = JSON.parse(SecretString);
  } catch {
    throw new RotationError(`Secret ${secretId} is not JSON.`);
  }
  const { secret, summary } = rotateServiceKeys(value, options);
  await client.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      SecretString: JSON.stringify(secret),
      ClientRequestToken: randomUUID(),
    }),
  );
  return summary;
}

const USAGE = `npm run rotate-keys -- [options]   (docs/deploy.md "Rotating the service keys")
  --file <path>                   the local secrets file (default LOCAL_SECRETS_FILE or $LOCAL_DATA_DIR/secrets.json)
  --secret-arn <arn> [--region r] the Secrets Manager secret instead of the file
  --stage                         add a key every reader learns first; run again without --stage to make it current
  --prune-only                    change no key, only apply --drop / --prune-retired-before
  --drop <keyId>                  forget a retired or staged key (repeatable): what it sealed becomes unreadable
  --prune-retired-before <date>   forget keys retired before this date (ISO 8601)
`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string' },
      'secret-arn': { type: 'string' },
      region: { type: 'string' },
      stage: { type: 'boolean', default: false },
      'prune-only': { type: 'boolean', default: false },
      drop: { type: 'string', multiple: true, default: [] },
      'prune-retired-before': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.stage && values['prune-only']) throw new RotationError('Use --stage or --prune-only, not both.');
  const before = values['prune-retired-before'];
  const pruneRetiredBefore = before === undefined ? undefined : new Date(before);
  if (pruneRetiredBefore && Number.isNaN(pruneRetiredBefore.getTime()))
    throw new RotationError(`--prune-retired-before: not a date: ${before}`);
  const options: RotationOptions = {
    action: values.stage ? 'stage' : values['prune-only'] ? 'prune' : 'rotate',
    drop: values.drop,
    ...(pruneRetiredBefore ? { pruneRetiredBefore } : {}),
  };
  const arn = values['secret-arn'];
  let target: string;
  let summary: RotationSummary;
  if (arn) {
    const client = new SecretsManagerClient(values.region ? { region: values.region } : {});
    target = arn;
    summary = await rotateSecretsManagerSecret(client, arn, options);
  } else {
    target = values.file ?? localSecretsPath();
    summary = await rotateLocalSecretsFile(target, options);
  }
  const lines = [
    `Service keys in ${target}:`,
    `  current  ${summary.current}`,
    ...(summary.next ? [`  staged   ${summary.next} (run again without --stage to make it current)`] : []),
    `  retired  ${summary.retired.join(', ') || '(none)'}`,
    ...(summary.dropped.length
      ? [`  dropped  ${summary.dropped.join(', ')} (what they sealed is now unreadable)`]
      : []),
    arn
      ? 'Running functions pick the new secret up within 5 minutes (their secrets cache).'
      : 'Restart the service (npm start) to use it.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`rotate-keys: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
