import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { VendingRefused, type SigningOptions } from '../../examples/token-vending-client.js';
import { LOCAL_PLATFORM_AWS_ACCOUNT_ID } from '../../local/local-secrets.js';
import type { ServiceCredential } from '../../local/sigv4-auth.js';

/**
 * What the token-vending suites share (docs/token-vending.md): a platform back-end's role, how it signs,
 * the refusal it meets, and GitHub asked with the token it got, as the back-end would.
 */

/** A role of the local platform account, as `npm start` seeds `builder` (`arn:aws:iam::<account>:role/<name>`). */
export const platformRole = (name: string) => `arn:aws:iam::${LOCAL_PLATFORM_AWS_ACCOUNT_ID}:role/${name}`;

/** How a back-end of `roleArn` signs its requests (SigV4, `us-east-1` as locally): its credential among these. */
export function signingAs(
  credentials: readonly ServiceCredential[] | undefined,
  roleArn: string,
): SigningOptions {
  const credential = credentials?.find((entry) => entry.roleArn === roleArn);
  if (!credential) throw new Error(`no service credential for ${roleArn}`);
  return {
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
    region: 'us-east-1',
  };
}

/** The refusal a vending or revocation request met (its status and body), or a failure if it was granted. */
export async function refusalOf(
  request: Promise<unknown>,
): Promise<{ status: number } & VendingRefused['body']> {
  const outcome = await request.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof VendingRefused)) throw new Error(`expected a refusal, got ${String(outcome)}`);
  return { status: outcome.status, ...outcome.body };
}

/** GitHub (the emulator at `githubUrl`) asked with a vended token, as a back-end does; a `body` goes as JSON. */
export const withVendedToken =
  (githubUrl: string) =>
  (token: string, path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${githubUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `token ${token}`,
        accept: 'application/vnd.github+json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });

/** A write with a vended token: a blob in `owner/name` (201 where it may write contents, else 403 or 404). */
export const writeBlob = (asked: ReturnType<typeof withVendedToken>, token: string, fullName: string) =>
  asked(token, `/repos/${fullName}/git/blobs`, { method: 'POST', body: { content: 'x', encoding: 'utf-8' } });

/** Every item of the table, read consistently page by page (what a test compares against what it sent). */
export async function scanTable(table: {
  raw: DynamoDBClient;
  tableName: string;
}): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await table.raw.send(
      new ScanCommand({ TableName: table.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return items;
}
