/** What `cdk synth` wrote carries none of what costs every cold start for nothing (bundle-content.ts). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_FUNCTIONS, type ServiceFunctionName } from '../../functions/shared/service-routes.js';
import { readBundles } from '../../local/bundles.js';
import { unwantedIn } from '../support/bundle-content.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const bundles = Object.entries(readBundles(resolve(root, process.env.BUNDLES_DIR ?? 'cdk.out'))) as Array<
  [ServiceFunctionName, ReturnType<typeof readBundles>[ServiceFunctionName]]
>;

it('finds a bundle for every function, the IAM-authorized token-vending and service-access among them', () => {
  const names = bundles.map(([name]) => name);
  expect([...names].sort()).toEqual(Object.keys(SERVICE_FUNCTIONS).sort());
  expect(names).toEqual(expect.arrayContaining(['token-vending', 'service-access']));
});

it.each(bundles)('%s: no credential chain beyond the environment, no ESM import of node:http', (_, b) => {
  expect(unwantedIn(readFileSync(b.file, 'utf8'))).toEqual([]);
});

// The source map ships beside the bundle (lib/bundling.ts sourceMap): it names the modules built in and
// must not carry their text.
it.each(bundles)(
  '%s: built from its own entry and functions/ only (no local stand-in, test or script), its map without sources',
  (name, b) => {
    const map = JSON.parse(readFileSync(`${b.file}.map`, 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown[] | null;
    };
    expect(map.sourcesContent ?? null).toBeNull();
    // Relative to where the bundle was built: the project's own modules, then the packages'.
    const own = map.sources
      .filter((source) => !source.includes('node_modules/'))
      .map((source) => source.replace(/^(?:\.\.\/)+/, ''));
    expect(own).toContain(SERVICE_FUNCTIONS[name].entry);
    expect(own.filter((source) => !source.startsWith('functions/'))).toEqual([]);
  },
);
