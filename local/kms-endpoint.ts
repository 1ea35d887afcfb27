/**
 * A stand-in for AWS KMS at the boundary, like the GitHub emulator: it speaks KMS's JSON protocol
 * (`POST /`, `X-Amz-Target: TrentService.<Action>`, `application/x-amz-json-1.1`, errors as
 * `{ __type, message }`) for the few actions the service and `npm run import-app-key` use: Sign,
 * GetPublicKey, DescribeKey, GetParametersForImport and ImportKeyMaterial. Its keys are RSA_2048
 * SIGN_VERIFY keys of origin EXTERNAL: each holds the key material imported into it (or given at
 * start, as `npm start` gives it the local App's PEM). Requests must carry a SigV4 Authorization for
 * the `kms` service; the signature itself is not checked (no IAM here: local/access-guard.ts is).
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  createDecipheriv,
  createHash,
  generateKeyPairSync,
  privateDecrypt,
  privateEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const LOCAL_KMS_REGION = 'us-east-1';
const ACCOUNT = '000000000000';
/** DER prefix of a SHA-256 DigestInfo (RFC 8017 9.2): PKCS#1 v1.5 signs it followed by the digest. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');
/** RFC 5649's alternative initial value: AES key wrap with padding. */
const AES_WRAP_PAD_IV = Buffer.from('A65959A6', 'hex');
const WRAPPING_KEY_BITS: Record<string, number> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };

type LocalKey = {
  keyId: string;
  arn: string;
  privateKey: KeyObject | undefined;
  /** The latest GetParametersForImport answer's token and wrapping key (valid 24 h in KMS; here until used). */
  pendingImport?: { token: string; algorithm: string; wrappingKey: KeyObject };
};

export type LocalKms = {
  url: string;
  region: string;
  /** The key ids, in the order given. */
  keyIds: string[];
  /** Every call's action, in order (tests count Sign calls). */
  calls: string[];
  /** The key's ARN as the stack would name it. */
  arnOf(keyId: string): string;
  close(): Promise<void>;
};

export type LocalKmsOptions = {
  port?: number;
  host?: string;
  /** Keys by id: a PEM (PKCS#1 or PKCS#8) already imported, or undefined for a key awaiting import. */
  keys: Record<string, string | undefined>;
};

class KmsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const text = (value: unknown, name: string): string => {
  if (typeof value !== 'string' || value === '')
    throw new KmsFault('ValidationException', `${name} is required`);
  return value;
};

export async function startLocalKms(options: LocalKmsOptions): Promise<LocalKms> {
  const keys = new Map<string, LocalKey>();
  const arnOf = (keyId: string) => `arn:aws:kms:${LOCAL_KMS_REGION}:${ACCOUNT}:key/${keyId}`;
  for (const [keyId, pem] of Object.entries(options.keys)) {
    keys.set(keyId, { keyId, arn: arnOf(keyId), privateKey: pem === undefined ? undefined : rsa2048(pem) });
  }
  const calls: string[] = [];

  const keyOf = (input: Record<string, unknown>): LocalKey => {
    const ref = text(input.KeyId, 'KeyId');
    const keyId = ref.startsWith('arn:') ? (ref.split(':key/')[1] ?? '') : ref;
    const key = keys.get(keyId);
    if (!key) throw new KmsFault('NotFoundException', `Key '${ref}' does not exist`);
    return key;
  };
  const usable = (key: LocalKey): KeyObject => {
    if (!key.privateKey) throw new KmsFault('KMSInvalidStateException', `${key.arn} is pending import.`);
    return key.privateKey;
  };

  const actions: Record<string, (input: Record<string, unknown>) => Record<string, unknown>> = {
    DescribeKey(input) {
      const key = keyOf(input);
      return {
        KeyMetadata: {
          AWSAccountId: ACCOUNT,
          KeyId: key.keyId,
          Arn: key.arn,
          KeySpec: 'RSA_2048',
          KeyUsage: 'SIGN_VERIFY',
          Origin: 'EXTERNAL',
          KeyState: key.privateKey ? 'Enabled' : 'PendingImport',
          Enabled: key.privateKey !== undefined,
          SigningAlgorithms: ['RSASSA_PKCS1_V1_5_SHA_256'],
        },
      };
    },
    GetPublicKey(input) {
      const key = keyOf(input);
      const publicKey = createPublicKey(usable(key)).export({ type: 'spki', format: 'der' });
      return {
        KeyId: key.arn,
        PublicKey: publicKey.toString('base64'),
        KeySpec: 'RSA_2048',
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: ['RSASSA_PKCS1_V1_5_SHA_256'],
      };
    },
    Sign(input) {
      const key = keyOf(input);
      const privateKey = usable(key);
      if (input.SigningAlgorithm !== 'RSASSA_PKCS1_V1_5_SHA_256')
        throw new KmsFault(
          'InvalidKeyUsageException',
          `This stand-in signs with RSASSA_PKCS1_V1_5_SHA_256 only, not ${String(input.SigningAlgorithm)}`,
        );
      const message = Buffer.from(text(input.Message, 'Message'), 'base64');
      const type = input.MessageType ?? 'RAW';
      let digest: Buffer;
      if (type === 'DIGEST') {
        if (message.length !== 32)
          throw new KmsFault(
            'ValidationException',
            'Digest is invalid length for algorithm RSASSA_PKCS1_V1_5_SHA_256.',
          );
        digest = message;
      } else if (type === 'RAW') {
        if (message.length > 4096)
          throw new KmsFault('ValidationException', 'Message is longer than 4096 bytes.');
        digest = createHash('sha256').update(message).digest();
      } else throw new KmsFault('ValidationException', `MessageType ${JSON.stringify(type)} is not valid`);
      const signature = privateEncrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
        Buffer.concat([SHA256_DIGEST_INFO, digest]),
      );
      return {
        KeyId: key.arn,
        Signature: signature.toString('base64'),
        SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
      };
    },
    GetParametersForImport(input) {
      const key = keyOf(input);
      const algorithm = text(input.WrappingAlgorithm, 'WrappingAlgorithm');
      if (algorithm !== 'RSA_AES_KEY_WRAP_SHA_256' && algorithm !== 'RSA_AES_KEY_WRAP_SHA_1')
        throw new KmsFault(
          'UnsupportedOperationException',
          `${algorithm} cannot wrap RSA key material: use RSA_AES_KEY_WRAP_SHA_256`,
        );
      const bits = WRAPPING_KEY_BITS[text(input.WrappingKeySpec, 'WrappingKeySpec')];
      if (!bits)
        throw new KmsFault(
          'ValidationException',
          `WrappingKeySpec ${String(input.WrappingKeySpec)} is not valid`,
        );
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
      const token = randomBytes(64).toString('base64');
      key.pendingImport = { token, algorithm, wrappingKey: privateKey };
      return {
        KeyId: key.arn,
        ImportToken: token,
        PublicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
        ParametersValidTo: Math.floor(Date.now() / 1000) + 24 * 3600,
      };
    },
    ImportKeyMaterial(input) {
      const key = keyOf(input);
      const pending = key.pendingImport;
      if (!pending || pending.token !== input.ImportToken)
        throw new KmsFault('InvalidImportTokenException', 'The import token is not valid for this key.');
      if (input.ExpirationModel !== undefined && input.ExpirationModel !== 'KEY_MATERIAL_DOES_NOT_EXPIRE')
        throw new KmsFault('ValidationException', 'Asymmetric key material does not expire.');
      const encrypted = Buffer.from(text(input.EncryptedKeyMaterial, 'EncryptedKeyMaterial'), 'base64');
      let material: KeyObject;
      try {
        // RSA_AES_KEY_WRAP_*: the RSA-OAEP-encrypted AES key, then the material wrapped with it (RFC 5649).
        const split = (pending.wrappingKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
        const aesKey = privateDecrypt(
          {
            key: pending.wrappingKey,
            padding: constants.RSA_PKCS1_OAEP_PADDING,
            oaepHash: pending.algorithm === 'RSA_AES_KEY_WRAP_SHA_1' ? 'sha1' : 'sha256',
          },
          encrypted.subarray(0, split),
        );
        const decipher = createDecipheriv(`id-aes${aesKey.length * 8}-wrap-pad`, aesKey, AES_WRAP_PAD_IV);
        const der = Buffer.concat([decipher.update(encrypted.subarray(split)), decipher.final()]);
        material = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      } catch {
        throw new KmsFault('InvalidCiphertextException', 'The key material could not be unwrapped.');
      }
      if (material.asymmetricKeyType !== 'rsa' || material.asymmetricKeyDetails?.modulusLength !== 2048)
        throw new KmsFault(
          'IncorrectKeyMaterialException',
          'The key material is not an RSA_2048 private key.',
        );
      // KMS: a key's material is fixed once imported; only the same material can be imported again.
      if (key.privateKey && !samePublicKey(key.privateKey, material))
        throw new KmsFault(
          'IncorrectKeyMaterialException',
          'The key material differs from the key material previously imported.',
        );
      key.privateKey = material;
      delete key.pendingImport; // an import token is single use
      return {};
    },
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      };
      try {
        const target = String(request.headers['x-amz-target'] ?? '');
        const action = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '';
        calls.push(action || target);
        if (request.method !== 'POST' || !action)
          throw new KmsFault('UnknownOperationException', `Unknown operation ${target}`);
        const authorization = String(request.headers.authorization ?? '');
        if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/kms\/aws4_request/.test(authorization))
          throw new KmsFault(
            'MissingAuthenticationTokenException',
            'Missing or malformed SigV4 Authorization for kms',
          );
        const handle = actions[action];
        if (!handle) throw new KmsFault('UnknownOperationException', `Unknown operation ${action}`);
        let input: Record<string, unknown>;
        try {
          input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          throw new KmsFault('SerializationException', 'The request body is not JSON');
        }
        answer(200, handle(input));
      } catch (error) {
        if (error instanceof KmsFault) answer(error.status, { __type: error.type, message: error.message });
        else answer(500, { __type: 'KMSInternalException', message: (error as Error).message });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    region: LOCAL_KMS_REGION,
    keyIds: [...keys.keys()],
    calls,
    arnOf,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function rsa2048(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== 2048)
    throw new Error('The local KMS holds RSA_2048 keys only');
  return key;
}

function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  const der = (key: KeyObject) => createPublicKey(key).export({ type: 'spki', format: 'der' });
  return der(a).equals(der(b));
}

/** The key id `npm start` gives its own stand-in's key (the local App's PEM). */
export const LOCAL_APP_KEY_ID = 'local-app-key';

/**
 * `npm start` with APP_KEY_SIGNING=kms: the handlers sign App JWTs through KMS as in AWS. With
 * KMS_ENDPOINT (and APP_KEY_ID) they use that endpoint, whose key must hold the App's PEM (imported
 * with `npm run import-app-key`); without, a stand-in started here holds the local App's PEM. The
 * environment the handlers need, the banner's line, and how to stop the stand-in.
 */
export async function localAppKeySigning(
  env: Record<string, string | undefined>,
  appPrivateKey: string,
): Promise<{ env: Record<string, string>; line: string; close?: () => Promise<void> }> {
  const mode = env.APP_KEY_SIGNING ?? 'secret';
  if (mode === 'secret') return { env: {}, line: '  App key        the PEM in the secrets file' };
  if (mode !== 'kms') throw new Error(`APP_KEY_SIGNING must be secret (the default) or kms, not ${mode}`);
  if (env.KMS_ENDPOINT) {
    if (!env.APP_KEY_ID) throw new Error('APP_KEY_SIGNING=kms with KMS_ENDPOINT needs APP_KEY_ID (the key)');
    return {
      env: {},
      line: `  App key        KMS Sign at ${env.KMS_ENDPOINT} (key ${env.APP_KEY_ID})`,
    };
  }
  const kms = await startLocalKms({ keys: { [LOCAL_APP_KEY_ID]: appPrivateKey } });
  return {
    env: { KMS_ENDPOINT: kms.url, APP_KEY_ID: LOCAL_APP_KEY_ID },
    line: `  App key        KMS Sign at ${kms.url} (stand-in, key ${LOCAL_APP_KEY_ID}: the secrets file's PEM)`,
    close: () => kms.close(),
  };
}
