import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { rotateServiceKeys, RotationError } from '../../functions/shared/secrets/key-rotation.js';
import { legacyKeyId } from '../../functions/shared/secrets/service-keys.js';
import type { ServiceKeysSecret } from '../../functions/shared/secrets/types.js';
import { generateLocalSecrets } from '../../local/local-secrets.js';
import { rotateLocalSecretsFile, rotateSecretsManagerSecret } from '../../scripts/rotate-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'rotate-'));
const material = (c: string) => c.repeat(48);
const now = new Date('2026-03-01T12:00:00Z');

describe('rotateServiceKeys', () => {
  const ring: ServiceKeysSecret = {
    current: { keyId: 'k2', keyMaterial: material('b') },
    retired: [{ keyId: 'k1', keyMaterial: material('a'), retiredAt: '2025-01-01T00:00:00.000Z' }],
  };

  it('makes a new current key and retires the old one, newest first, keeping its material', () => {
    const { secret, summary } = rotateServiceKeys(ring, { now });
    expect(summary).toEqual({
      current: expect.stringMatching(/^k20260301-[0-9a-f]{8}$/) as string,
      next: undefined,
      retired: ['k2', 'k1'],
      dropped: [],
    });
    expect(secret.current.keyMaterial).toHaveLength(64);
    expect(secret.retired).toEqual([
      { keyId: 'k2', keyMaterial: material('b'), retiredAt: now.toISOString() },
      ring.retired?.[0],
    ]);
  });

  it('turns a secret without key ids into a keyring, its key retired under its derived id', () => {
    const { secret } = rotateServiceKeys({ keyMaterial: material('L') }, { now });
    expect(secret.retired).toEqual([
      { keyId: legacyKeyId(material('L')), keyMaterial: material('L'), retiredAt: now.toISOString() },
    ]);
  });

  it('stages a key every reader learns first, and promotes it on the next rotation', () => {
    const staged = rotateServiceKeys(ring, { now, action: 'stage' });
    expect(staged.secret.current).toEqual(ring.current);
    const next = staged.secret.next;
    expect(staged.summary.next).toBe(next?.keyId);
    expect(() => rotateServiceKeys(staged.secret, { action: 'stage' })).toThrow(RotationError);
    const promoted = rotateServiceKeys(staged.secret, { now });
    expect(promoted.secret.current).toEqual(next);
    expect(promoted.secret.next).toBeUndefined();
    expect(promoted.summary.retired).toEqual(['k2', 'k1']);
  });

  it('drops named keys and keys retired before a date, never the current one', () => {
    expect(rotateServiceKeys(ring, { action: 'prune', drop: ['k1'] }).secret).toEqual({
      ...ring,
      retired: [],
    });
    const pruned = rotateServiceKeys(ring, { now, pruneRetiredBefore: new Date('2026-01-01') });
    expect(pruned.summary).toMatchObject({ retired: ['k2'], dropped: ['k1'] });
    expect(() => rotateServiceKeys(ring, { action: 'prune', drop: ['k2'] })).toThrow(/current key/);
    expect(() => rotateServiceKeys(ring, { action: 'prune', drop: ['nope'] })).toThrow(/No key nope/);
  });

  it('refuses a malformed secret, naming fields and never material', () => {
    expect(() => rotateServiceKeys({ current: { keyId: 'a.b', keyMaterial: material('z') } })).toThrow(
      /service keys is incomplete or malformed/,
    );
    expect(() => rotateServiceKeys({ current: { keyId: 'a.b', keyMaterial: material('z') } })).not.toThrow(
      material('z'),
    );
  });
});

describe('rotateLocalSecretsFile', () => {
  it('rotates serviceKeys in place, atomically, mode 0600, leaving the rest of the file alone', async () => {
    const path = join(dir, 'secrets.json');
    const original = generateLocalSecrets();
    writeFileSync(path, JSON.stringify(original), { mode: 0o644 });
    const summary = await rotateLocalSecretsFile(path, { now });
    const rotated = JSON.parse(readFileSync(path, 'utf8')) as typeof original & {
      serviceKeys: ServiceKeysSecret;
    };
    expect(rotated.githubApp).toEqual(original.githubApp);
    expect(rotated.serviceKeys.current.keyId).toBe(summary.current);
    const { keyId, keyMaterial } = (original.serviceKeys as ServiceKeysSecret).current;
    expect(rotated.serviceKeys.retired).toEqual([{ keyId, keyMaterial, retiredAt: now.toISOString() }]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['secrets.json']);
  });

  it('names the file it cannot read', async () => {
    await expect(rotateLocalSecretsFile(join(dir, 'missing.json'))).rejects.toThrow(
      /missing\.json.*npm start/,
    );
  });

  it('runs as `npm run rotate-keys -- --file`, printing key ids and never key material', () => {
    const path = join(dir, 'cli.json');
    writeFileSync(
      path,
      JSON.stringify({ ...generateLocalSecrets(), serviceKeys: { keyMaterial: material('c') } }),
    );
    const root = resolve(import.meta.dirname, '../..');
    const out = execFileSync(
      process.execPath,
      [resolve(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/rotate-keys.ts', '--file', path],
      { cwd: root, env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8' },
    );
    const secret = (JSON.parse(readFileSync(path, 'utf8')) as { serviceKeys: ServiceKeysSecret }).serviceKeys;
    expect(out).toContain(`current  ${secret.current.keyId}`);
    expect(out).toContain(`retired  ${legacyKeyId(material('c'))}`);
    expect(out).not.toContain(secret.current.keyMaterial);
    expect(out).not.toContain(material('c'));
  });
});

describe('rotateSecretsManagerSecret', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  afterEach(() => secretsManager.reset());

  it('reads the secret and puts the rotated one as a new version', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'arn:keys' })
      .resolves({ SecretString: JSON.stringify({ keyMaterial: material('s') }) });
    secretsManager.on(PutSecretValueCommand).resolves({});
    const summary = await rotateSecretsManagerSecret(
      new SecretsManagerClient({ region: 'eu-west-1' }),
      'arn:keys',
      {
        now,
      },
    );
    const puts = secretsManager.commandCalls(PutSecretValueCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0]?.args[0].input;
    expect(input?.SecretId).toBe('arn:keys');
    expect(input?.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
    const secret = JSON.parse(input?.SecretString ?? '{}') as ServiceKeysSecret;
    expect(secret.current.keyId).toBe(summary.current);
    expect(secret.retired).toEqual([
      { keyId: legacyKeyId(material('s')), keyMaterial: material('s'), retiredAt: now.toISOString() },
    ]);
  });

  it('writes nothing when the secret is not a service-keys secret', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"keyMaterial":"short"}' });
    await expect(
      rotateSecretsManagerSecret(new SecretsManagerClient({ region: 'eu-west-1' }), 'arn:bad'),
    ).rejects.toThrow(/keyMaterial/);
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'not json' });
    await expect(
      rotateSecretsManagerSecret(new SecretsManagerClient({ region: 'eu-west-1' }), 'arn:bad'),
    ).rejects.toThrow(/not JSON/);
    expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });
});
