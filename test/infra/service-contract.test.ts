import { ServiceContract } from '../support/service-contract.js';

const contract = new ServiceContract();
const answer = (method: string, path: string, status: number, body?: unknown) => ({
  method,
  path,
  status,
  headers: { 'content-type': 'application/json' },
  body: body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body)),
});

describe('the contract check every suite runs (test/support/service-contract.ts)', () => {
  it('accepts declared answers with schema-valid bodies', () => {
    expect(contract.violation(answer('GET', '/health', 200, { status: 'ok' }))).toBeUndefined();
    expect(contract.violation(answer('DELETE', '/accounts/a1', 204))).toBeUndefined();
    expect(
      contract.violation(
        answer('POST', '/accounts/a1/repositories', 502, {
          error: 'commit_failed',
          message: 'Created, not committed.',
          repository: { fullName: 'o/r', htmlUrl: 'https://github.com/o/r' },
        }),
      ),
    ).toBeUndefined();
    expect(contract.violation(answer('GET', '/me', 429, { message: 'Too Many Requests' }))).toBeUndefined();
    expect(
      contract.violation(answer('PUT', '/nope', 404, { error: 'not_found', message: 'No.' })),
    ).toBeUndefined();
  });

  it('rejects an undeclared status, a field the schema lacks, a wrong shape and a bare 404', () => {
    expect(contract.violation(answer('GET', '/health', 418, { error: 'teapot', message: 'No.' }))).toMatch(
      /not declared/,
    );
    expect(
      contract.violation(answer('GET', '/me', 401, { error: 'unauthorized', message: 'No.', secret: 'x' })),
    ).toMatch(/additional/);
    expect(contract.violation(answer('GET', '/health', 200, { status: 'down' }))).toMatch(/constant/);
    expect(contract.violation(answer('GET', '/nope', 404, { message: 'Not Found' }))).toMatch(/error/);
    expect(contract.violation(answer('DELETE', '/accounts/a1', 204, { unexpected: true }))).toMatch(/body/);
  });
});
