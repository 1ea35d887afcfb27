/**
 * A separate "Lambda container" for concurrency tests: it shares only the table with the test process,
 * and makes COUNT concurrent GitHub calls that need USER_ID's token. Prints a JSON summary.
 */
import { getUserTokens } from '../../functions/shared/auth/context.js';
import { getServices } from '../../functions/shared/services.js';

const userId = Number(process.env.USER_ID);
const count = Number(process.env.COUNT ?? 25);
const tokens = await getUserTokens();
const { github } = getServices();
const results = await Promise.allSettled(
  Array.from({ length: count }, () =>
    tokens.withToken(userId, async (token) => {
      // The lease is under test, not the 8 s per-call timeout a busy machine can outlast.
      const { data } = await github('GET /user', {
        headers: { authorization: `token ${token}` },
        request: { signal: AbortSignal.timeout(45_000) },
      });
      return data.login;
    }),
  ),
);
const failures = results
  .filter((result) => result.status === 'rejected')
  .map((result) => String(result.reason));
process.stdout.write(JSON.stringify({ ok: results.length - failures.length, failures }) + '\n');
