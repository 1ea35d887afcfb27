/** What `cdk synth` wrote carries none of what costs every cold start for nothing (bundle-content.ts). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBundles } from '../../local/bundles.js';
import { unwantedIn } from '../support/bundle-content.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const bundles = Object.entries(readBundles(resolve(root, process.env.BUNDLES_DIR ?? 'cdk.out')));

it.each(bundles)('%s: no credential chain beyond the environment, no ESM import of node:http', (_, b) => {
  expect(unwantedIn(readFileSync(b.file, 'utf8'))).toEqual([]);
});
