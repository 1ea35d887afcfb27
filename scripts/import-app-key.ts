/**
 * `npm run import-app-key`: imports the GitHub App's private key (the PEM GitHub gave) into the stack's
 * KMS key of origin EXTERNAL (`-c appKeySigning=kms`, docs/security.md "The App's private key in KMS"),
 * so only KMS ever signs with it.
 *   npm run import-app-key -- --pem ./my-app.private-key.pem [--key-id <arn> | --stack GitHubAppAccounts]
 *     [--region eu-west-1]
 *   npm run import-app-key -- --from-app-secret [--secret-id <arn>] …: the PEM `register-app` (or the
 *     operator) put in the App secret is imported, then removed from the secret once KMS holds it.
 * KMS's import, as its documentation describes it for RSA key material: GetParametersForImport
 * (wrapping RSA_AES_KEY_WRAP_SHA_256 with an RSA_4096 wrapping key), the PKCS#8 key wrapped with a
 * fresh AES-256 key (AES key wrap with padding, RFC 5649) and that key encrypted with the wrapping
 * public key (RSAES-OAEP SHA-256), then ImportKeyMaterial. It checks the key's public half is the PEM's
 * (GetPublicKey). The key id comes from the stack's `AppKeyArn` output (AWS CLI) unless given.
 * AWS_ENDPOINT_URL(_KMS) and the SDK's credential chain are honoured. Never prints key material.
 */
import { execFileSync } from 'node:child_process';
import {
  constants,
  createCipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createKmsClient, type KmsClient } from '../functions/shared/app-key/kms-client.js';

const WRAPPING_ALGORITHM = 'RSA_AES_KEY_WRAP_SHA_256';
const WRAPPING_KEY_SPEC = 'RSA_4096';
/** RFC 5649's alternative initial value (what `openssl enc -id-aes256-wrap-pad` uses). */
const AES_WRAP_PAD_IV = Buffer.from('A65959A6', 'hex');

export class ImportAppKeyError extends Error {}

export type ImportSummary = {
  keyArn: string;
  /** SHA-256 of the public key (SubjectPublicKeyInfo DER), to compare with what GitHub shows. */
  publicKeySha256: string;
  /** KMS's public key is the PEM's (false only if GetPublicKey was not allowed). */
  verified: boolean;
};

/** The App's PEM (PKCS#1 as GitHub gives it, or PKCS#8): an RSA 2048 private key, else refused. */
export function readAppPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ImportAppKeyError('The file is not a PEM private key');
  }
  if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== 2048)
    throw new ImportAppKeyError('A GitHub App private key is an RSA 2048 key; this one is not');
  return key;
}

/** RSA_AES_KEY_WRAP_SHA_256: OAEP(SHA-256)-encrypted AES-256 key, then the material wrapped with it. */
export function wrapKeyMaterial(material: Buffer, wrappingPublicKeyDer: Buffer): Buffer {
  const aesKey = randomBytes(32);
  const encryptedAesKey = publicEncrypt(
    {
      key: createPublicKey({ key: wrappingPublicKeyDer, format: 'der', type: 'spki' }),
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
    },
    aesKey,
  );
  const cipher = createCipheriv('id-aes256-wrap-pad', aesKey, AES_WRAP_PAD_IV);
  const wrapped = Buffer.concat([cipher.update(material), cipher.final()]);
  aesKey.fill(0);
  return Buffer.concat([encryptedAesKey, wrapped]);
}

const spkiOf = (key: KeyObject) => createPublicKey(key).export({ type: 'spki', format: 'der' });

export async function importAppKey(options: {
  kms: KmsClient;
  keyId: string;
  pem: string;
}): Promise<ImportSummary> {
  const { kms, keyId } = options;
  const privateKey = readAppPrivateKey(options.pem);
  const { KeyMetadata: key } = await kms.call<{
    KeyMetadata?: { Arn?: string; KeySpec?: string; KeyUsage?: string; Origin?: string };
  }>('DescribeKey', { KeyId: keyId });
  if (key?.KeySpec !== 'RSA_2048' || key.KeyUsage !== 'SIGN_VERIFY' || key.Origin !== 'EXTERNAL')
    throw new ImportAppKeyError(
      `Key ${keyId} is ${key?.KeySpec}/${key?.KeyUsage}/${key?.Origin}: it must be RSA_2048, SIGN_VERIFY, origin EXTERNAL (-c appKeySigning=kms creates one)`,
    );
  const keyArn = key.Arn ?? keyId;
  const parameters = await kms.call<{ ImportToken?: string; PublicKey?: string }>('GetParametersForImport', {
    KeyId: keyArn,
    WrappingAlgorithm: WRAPPING_ALGORITHM,
    WrappingKeySpec: WRAPPING_KEY_SPEC,
  });
  if (!parameters.ImportToken || !parameters.PublicKey)
    throw new ImportAppKeyError('GetParametersForImport answered without an import token or public key');
  const material = privateKey.export({ type: 'pkcs8', format: 'der' });
  const encrypted = wrapKeyMaterial(material, Buffer.from(parameters.PublicKey, 'base64'));
  material.fill(0);
  await kms.call('ImportKeyMaterial', {
    KeyId: keyArn,
    ImportToken: parameters.ImportToken,
    EncryptedKeyMaterial: encrypted.toString('base64'),
    // Asymmetric key material never expires in KMS.
    ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
  });
  const expected = spkiOf(privateKey);
  let verified = false;
  try {
    const { PublicKey } = await kms.call<{ PublicKey?: string }>('GetPublicKey', { KeyId: keyArn });
    if (!Buffer.from(PublicKey ?? '', 'base64').equals(expected))
      throw new ImportAppKeyError(`Key ${keyArn} holds another public key than the PEM's`);
    verified = true;
  } catch (error) {
    if (error instanceof ImportAppKeyError) throw error;
    if (!/AccessDenied/.test((error as Error).message)) throw error;
  }
  return { keyArn, publicKeySha256: createHash('sha256').update(expected).digest('hex'), verified };
}

/**
 * Moves the PEM out of the App secret: imports its `privateKey`, and only once KMS is seen to hold the
 * same public key writes the secret back without it (the other fields as they were).
 */
export async function moveAppKeyFromSecret(options: {
  kms: KmsClient;
  keyId: string;
  readSecret: () => Promise<Record<string, unknown>>;
  writeSecret: (value: Record<string, unknown>) => Promise<void>;
}): Promise<ImportSummary & { removedFromSecret: boolean }> {
  const secret = await options.readSecret();
  const { privateKey: pem, ...rest } = secret;
  if (typeof pem !== 'string' || pem === '')
    throw new ImportAppKeyError('The App secret holds no privateKey (already moved?): give --pem instead');
  const summary = await importAppKey({ kms: options.kms, keyId: options.keyId, pem });
  if (!summary.verified) return { ...summary, removedFromSecret: false };
  await options.writeSecret(rest);
  return { ...summary, removedFromSecret: true };
}

/** A stack output (AWS CLI, which honours AWS_ENDPOINT_URL as the SDK does). */
function stackOutput(stackName: string, key: 'AppKeyArn' | 'GitHubAppSecretArn'): string {
  const raw = execFileSync(
    'aws',
    [
      'cloudformation',
      'describe-stacks',
      '--stack-name',
      stackName,
      '--query',
      `Stacks[0].Outputs[?OutputKey=='${key}'].OutputValue | [0]`,
      '--output',
      'text',
    ],
    { encoding: 'utf8' },
  ).trim();
  if (!raw || raw === 'None')
    throw new ImportAppKeyError(
      key === 'AppKeyArn'
        ? `Stack ${stackName} has no output AppKeyArn: deploy it with -c appKeySigning=kms`
        : `Stack ${stackName} has no output ${key}`,
    );
  return raw;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pem: { type: 'string' },
      'from-app-secret': { type: 'boolean', default: false },
      'secret-id': { type: 'string' },
      'key-id': { type: 'string' },
      stack: { type: 'string', default: 'GitHubAppAccounts' },
      region: { type: 'string' },
    },
  });
  if (!values.pem === !values['from-app-secret'])
    throw new ImportAppKeyError(
      'Give --pem <the private key file GitHub generated> or --from-app-secret (the PEM in the App secret)',
    );
  const keyId = values['key-id'] ?? stackOutput(values.stack, 'AppKeyArn');
  // The SDK's credential chain and region (profiles, SSO, environment), borrowed from a client the
  // project already depends on: the KMS calls themselves are signed by hand (kms-client.ts).
  const sdk = new SecretsManagerClient(values.region ? { region: values.region } : {});
  const region = values.region ?? keyId.split(':')[3] ?? (await sdk.config.region());
  const kms = createKmsClient({ region, credentials: () => sdk.config.credentials() });
  let summary: ImportSummary & { removedFromSecret?: boolean };
  try {
    if (values.pem) {
      summary = await importAppKey({ kms, keyId, pem: readFileSync(values.pem, 'utf8') });
    } else {
      const secretId = values['secret-id'] ?? stackOutput(values.stack, 'GitHubAppSecretArn');
      summary = await moveAppKeyFromSecret({
        kms,
        keyId,
        readSecret: async () => {
          const { SecretString } = await sdk.send(new GetSecretValueCommand({ SecretId: secretId }));
          return JSON.parse(SecretString ?? '{}') as Record<string, unknown>;
        },
        writeSecret: async (value) => {
          await sdk.send(
            new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(value) }),
          );
        },
      });
    }
  } finally {
    sdk.destroy();
  }
  process.stdout.write(
    [
      `Imported the App's private key into ${summary.keyArn}.`,
      `  public key SHA-256 ${summary.publicKeySha256}${summary.verified ? ' (KMS holds the same public key)' : ' (not verified: no kms:GetPublicKey)'}`,
      summary.removedFromSecret === undefined
        ? 'Next: delete the PEM file, and make sure the App secret holds no privateKey (docs/deploy.md).'
        : summary.removedFromSecret
          ? 'privateKey removed from the App secret.'
          : 'privateKey left in the App secret (not verified): remove it once the key is checked (docs/deploy.md).',
      '',
    ].join('\n'),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    process.stderr.write(`import-app-key: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
