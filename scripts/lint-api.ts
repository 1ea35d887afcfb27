/**
 * `npm run lint:api`: openapi.yaml through Redocly (`recommended`, redocly.yaml) and Spectral
 * (`spectral:oas`, .spectral.yaml). Fails on any error *or warning* of either: Redocly's CLI exits 0 on
 * warnings, so its JSON totals are checked here.
 */
import { spawnSync } from 'node:child_process';

const SPEC = 'openapi.yaml';

function run(command: string, args: string[]): { status: number | null; stdout: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return { status: result.status, stdout: result.stdout };
}

let failed = false;

const redocly = run('redocly', ['lint', SPEC, '--format=json']);
const totals = (JSON.parse(redocly.stdout || '{}') as { totals?: Record<string, number> }).totals;
if (!totals || totals.errors !== 0 || totals.warnings !== 0 || totals.ignored !== 0) {
  failed = true;
  // Show the findings readably.
  process.stdout.write(run('redocly', ['lint', SPEC]).stdout);
  process.stderr.write(`lint:api: Redocly found problems: ${JSON.stringify(totals)}\n`);
} else {
  process.stdout.write('lint:api: Redocly (recommended): 0 errors, 0 warnings\n');
}

const spectral = run('spectral', ['lint', SPEC, '--fail-severity=warn']);
process.stdout.write(spectral.stdout);
if (spectral.status !== 0) {
  failed = true;
  process.stderr.write('lint:api: Spectral found problems\n');
} else {
  process.stdout.write('lint:api: Spectral (spectral:oas): 0 errors, 0 warnings\n');
}

process.exit(failed ? 1 : 0);
