/**
 * APP_JWT_SIGNERS (lib/function-grants.ts) is what the code does: exactly the functions whose bundle,
 * built as `cdk synth` builds it (lib/bundling.ts, tree-shaken), carries the KMS Sign call get
 * `kms:Sign` in kms mode. A function that starts minting tokens without the grant, or keeps a grant it
 * no longer uses, fails here.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { esbuildOptions } from '../../lib/bundling.js';
import { APP_JWT_SIGNERS } from '../../lib/function-grants.js';
import { SERVICE_FUNCTIONS, type ServiceFunctionName } from '../../functions/shared/service-routes.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

async function signs(fn: ServiceFunctionName): Promise<boolean> {
  const settings = esbuildOptions(root, SERVICE_FUNCTIONS[fn].entry, `/tmp/app-key-bundles/${fn}.mjs`);
  const { outputFiles } = await build({ ...settings, write: false, sourcemap: false });
  // kms-client.ts's X-Amz-Target: the one place a bundle calls KMS.
  return outputFiles.some((file) => file.text.includes('TrentService.'));
}

it('the functions whose bundles sign through KMS are APP_JWT_SIGNERS', async () => {
  const names = Object.keys(SERVICE_FUNCTIONS) as ServiceFunctionName[];
  const signing: ServiceFunctionName[] = [];
  for (const fn of names) if (await signs(fn)) signing.push(fn);
  expect(signing.sort()).toEqual([...APP_JWT_SIGNERS].sort());
}, 120_000);
