import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { isMutatingRoute } from '../../functions/shared/http/idempotency.js';
import { ROUTES, routeKey, SERVICE_FUNCTIONS } from '../../functions/shared/service-routes.js';

type Operation = { parameters?: Array<{ $ref?: string }>; responses?: Record<string, unknown> };
type OpenApi = { paths: Record<string, Record<string, Operation>> };

const document = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as OpenApi;

/** The mutating routes that ignore Idempotency-Key (`idempotencyKey: false` in their route tables). */
const WITHOUT_KEY = [
  'POST /auth/logout',
  'POST /webhooks/github',
  // IAM-authorized (no user to scope keys to); a vended token is never kept for replay (service-route.ts).
  'POST /service/accounts/{accountId}/tokens',
  'DELETE /service/tokens',
];

describe('Idempotency-Key in openapi.yaml', () => {
  const mutating = ROUTES.map(routeKey).filter((key) => isMutatingRoute(key) && !WITHOUT_KEY.includes(key));

  it('covers commits, accounts, members, invitations, links, repositories and service access', () => {
    expect(mutating).toHaveLength(17);
  });

  it.each(mutating)('%s declares the header, 409 and 422', (key) => {
    const [method = '', path = ''] = key.split(' ');
    const operation = document.paths[path]?.[method.toLowerCase()];
    expect(operation?.parameters ?? []).toContainEqual({ $ref: '#/components/parameters/idempotencyKey' });
    expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['400', '409', '422']));
  });

  it('every function behind those routes is granted the keys’ partitions (IDEM#), no other function', () => {
    const keyed = new Set(
      ROUTES.filter((route) => mutating.includes(routeKey(route))).map((route) => route.fn),
    );
    const granted = Object.entries(SERVICE_FUNCTIONS)
      .filter(([, spec]) => spec.tablePrefixes?.includes('IDEM#'))
      .map(([name]) => name);
    expect(granted.sort()).toEqual([...keyed].sort());
  });

  it.each(WITHOUT_KEY)('%s does not declare it', (key) => {
    const [method = '', path = ''] = key.split(' ');
    const operation = document.paths[path]?.[method.toLowerCase()];
    expect(JSON.stringify(operation?.parameters ?? [])).not.toContain('idempotencyKey');
  });
});
