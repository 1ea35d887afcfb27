import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { esbuildOptions } from '../../lib/bundling.js';
import { unwantedIn } from '../support/bundle-content.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

async function bundle(entry: string, options: { alias: boolean }): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'bundling-')), 'index.mjs');
  const settings = esbuildOptions(root, join(root, entry), outfile);
  await build(options.alias ? settings : { ...settings, alias: {} });
  return readFileSync(outfile, 'utf8');
}

describe("the functions' bundling settings (lib/bundling.ts)", () => {
  // A function that reads DynamoDB and a secret: both SDK clients' default credential chains.
  const entry = 'functions/webhook/handler.ts';

  it('leave out the credential chain beyond the environment, and any ESM import of node:http', async () => {
    expect(unwantedIn(await bundle(entry, { alias: true }))).toEqual([]);
  });

  it('(without the aliases, the bundle would carry them: what the test above guards)', async () => {
    expect(unwantedIn(await bundle(entry, { alias: false }))).toEqual(
      expect.arrayContaining([
        'instance metadata credentials (IMDS)',
        'SSO credentials',
        'ESM import of node:http(s)',
      ]),
    );
  });

  it('still give the SDK clients credentials from the environment, as Lambda provides them', async () => {
    const { defaultProvider } = await import('../../functions/shared/runtime/lambda-credentials.js');
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    });
    try {
      await expect(defaultProvider()()).resolves.toMatchObject({
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'secret',
        sessionToken: 'token',
      });
    } finally {
      process.env = saved;
    }
  });
});
