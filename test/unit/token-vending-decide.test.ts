import { ForbiddenError } from '../../functions/shared/errors.js';
import type { InstallationDetails, Link } from '../../functions/shared/store/installation-store.js';
import type { ServiceAccessPolicy } from '../../functions/shared/store/service-access-store.js';
import { decide, limited, type DecisionInput } from '../../functions/token-vending/decide.js';
import { parseVendRequest } from '../../functions/token-vending/vend-request.js';

const PLATFORM = '123456789012';
const BUILDER = `arn:aws:iam::${PLATFORM}:role/builder`;

const policy = (overrides: Partial<ServiceAccessPolicy> = {}): ServiceAccessPolicy => ({
  id: 'p1',
  accountId: 'acc',
  principal: BUILDER,
  repositories: ['octo-org/app-one', 'octo-org/app-two', 'octo-org/team-b-api'],
  permissions: { contents: 'read', statuses: 'write' },
  maxLifetimeMinutes: null,
  createdBy: 1,
  createdAt: '2026-12-07T00:00:00Z',
  updatedAt: '2026-12-07T00:00:00Z',
  ...overrides,
});
const details = (
  id: number,
  login: string,
  overrides: Partial<InstallationDetails> = {},
): InstallationDetails => ({
  id,
  accountId: id * 10,
  accountLogin: login,
  accountType: 'Organization',
  accountAvatarUrl: null,
  repositorySelection: 'all',
  permissions: { contents: 'write', statuses: 'write', metadata: 'read' },
  events: [],
  suspendedAt: null,
  appSlug: 'app',
  sourceUpdatedAt: null,
  updatedAt: '2026-12-07T00:00:00Z',
  ...overrides,
});
const link = (installationId: number, scope: Link['scope'] = null): Link => ({
  accountId: 'acc',
  installationId,
  linkedBy: 1,
  linkedAt: '2026-12-07T00:00:00Z',
  commitPolicy: {} as Link['commitPolicy'],
  scope,
});

const input = (overrides: Partial<DecisionInput> & { body?: unknown } = {}): DecisionInput => ({
  accountId: 'acc',
  roleArn: BUILDER,
  platformAccount: PLATFORM,
  policies: [policy()],
  links: [link(7, { repositories: [], patterns: ['app-*'] }), link(8)],
  installations: [details(7, 'Octo-Org'), details(8, 'other-org')],
  request: parseVendRequest(
    overrides.body ?? {
      repositories: ['octo-org/App-Two', 'octo-org/app-one'],
      permissions: { contents: 'read' },
    },
  ),
  ...overrides,
});

/** The refusal's status, code and named parts. */
function refused(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ForbiddenError)) throw error;
    return { status: error.statusCode, error: error.code, ...error.details };
  }
  throw new Error('granted');
}

describe('decide (token vending)', () => {
  it('grants exactly the repositories and permissions asked, on the owner’s installation, names sorted lower-case', () => {
    expect(decide(input())).toEqual({
      policy: policy(),
      installationId: 7,
      owner: 'Octo-Org',
      repositoryNames: ['app-one', 'app-two'],
      repositories: ['octo-org/app-one', 'octo-org/app-two'],
      permissions: { contents: 'read' },
    });
  });

  it('lets a policy’s write cover a read, and a role prefix (`build*`) name the caller', () => {
    const grant = decide(
      input({
        policies: [
          policy({ principal: `arn:aws:iam::${PLATFORM}:role/build*`, permissions: { contents: 'write' } }),
        ],
      }),
    );
    expect(grant.permissions).toEqual({ contents: 'read' });
  });

  it('refuses a role no policy names (another role, another AWS account), naming everything asked', () => {
    for (const roleArn of [
      `arn:aws:iam::${PLATFORM}:role/deployer`,
      'arn:aws:iam::210987654321:role/builder',
    ])
      expect(refused(() => decide(input({ roleArn })))).toEqual({
        status: 403,
        error: 'service_access_denied',
        repositories: ['octo-org/app-one', 'octo-org/app-two'],
        permissions: { contents: 'read' },
      });
  });

  it('refuses what the policy does not list, naming only that: a repository, a permission above its ceiling', () => {
    expect(
      refused(() =>
        decide(
          input({
            body: {
              repositories: ['octo-org/app-one', 'octo-org/app-three'],
              permissions: { contents: 'write', statuses: 'write', issues: 'read' },
            },
          }),
        ),
      ),
    ).toEqual({
      status: 403,
      error: 'outside_service_access_policy',
      repositories: ['octo-org/app-three'],
      permissions: { contents: 'write', issues: 'read' },
    });
  });

  it('answers with the policy that comes closest when several name the caller', () => {
    const body = {
      repositories: ['octo-org/app-one', 'octo-org/app-two'],
      permissions: { contents: 'read', statuses: 'write' },
    };
    // `wide` lacks both permissions, `narrow` one repository: `narrow` is named.
    const wide = policy({
      id: 'wide',
      repositories: ['octo-org/app-one', 'octo-org/app-two'],
      permissions: {},
    });
    const narrow = policy({ id: 'narrow', repositories: ['octo-org/app-one'] });
    expect(refused(() => decide(input({ policies: [wide, narrow], body })))).toEqual({
      status: 403,
      error: 'outside_service_access_policy',
      repositories: ['octo-org/app-two'],
    });
    const both = policy({ id: 'both' });
    expect(decide(input({ policies: [wide, narrow, both], body })).policy.id).toBe('both');
  });

  it('grants through a policy with a lifetime under GitHub’s hour; among covering policies, the longest lifetime', () => {
    const short = policy({ id: 'short', maxLifetimeMinutes: 15 });
    const grant = decide(input({ policies: [short] }));
    expect(grant.policy.id).toBe('short');
    expect(limited(grant.policy)).toBe(true);
    const thirty = policy({ id: 'thirty', maxLifetimeMinutes: 30 });
    expect(decide(input({ policies: [short, thirty] })).policy.id).toBe('thirty');
    const hour = decide(input({ policies: [short, policy({ id: 'hour', maxLifetimeMinutes: 60 })] }));
    expect(hour.policy.id).toBe('hour');
    expect(limited(hour.policy)).toBe(false);
    expect(decide(input({ policies: [short, policy({ id: 'open' })] })).policy.id).toBe('open');
  });

  it('refuses a repository outside the link’s scope, or of an owner no link reaches, as not in scope', () => {
    expect(
      refused(() =>
        decide(input({ body: { repositories: ['octo-org/team-b-api'], permissions: { contents: 'read' } } })),
      ),
    ).toEqual({ status: 403, error: 'repository_not_in_scope', repositories: ['octo-org/team-b-api'] });
    expect(
      refused(() =>
        decide(
          input({
            policies: [policy({ repositories: ['stranger/app-one'] })],
            body: { repositories: ['stranger/app-one'], permissions: { contents: 'read' } },
          }),
        ),
      ),
    ).toMatchObject({ error: 'repository_not_in_scope', repositories: ['stranger/app-one'] });
  });

  it('refuses repositories on two installations (one token reaches one)', () => {
    expect(
      refused(() =>
        decide(
          input({
            policies: [policy({ repositories: ['octo-org/app-one', 'other-org/tool'] })],
            body: { repositories: ['octo-org/app-one', 'other-org/tool'], permissions: { contents: 'read' } },
          }),
        ),
      ),
    ).toMatchObject({ status: 403, error: 'multiple_installations' });
  });

  it('refuses a suspended installation, and a permission the installation does not grant', () => {
    expect(
      refused(() =>
        decide(input({ installations: [details(7, 'octo-org', { suspendedAt: '2026-12-01T00:00:00Z' })] })),
      ),
    ).toMatchObject({ status: 403, error: 'installation_suspended' });
    expect(
      refused(() =>
        decide(
          input({
            installations: [details(7, 'octo-org', { permissions: { contents: 'read', statuses: 'read' } })],
            body: {
              repositories: ['octo-org/app-one'],
              permissions: { contents: 'read', statuses: 'write' },
            },
          }),
        ),
      ),
    ).toEqual({
      status: 403,
      error: 'insufficient_installation_permissions',
      permissions: { statuses: 'write' },
    });
  });
});

describe('parseVendRequest', () => {
  it.each([
    [undefined],
    [{ repositories: [], permissions: { contents: 'read' } }],
    [{ repositories: ['no-owner'], permissions: { contents: 'read' } }],
    [{ repositories: ['octo-org/..'], permissions: { contents: 'read' } }],
    [{ repositories: ['octo-org/app'], permissions: {} }],
    [{ repositories: ['octo-org/app'], permissions: { contents: 'admin' } }],
    [{ repositories: ['octo-org/app'], permissions: { 'Contents!': 'read' } }],
  ])('refuses %j with 400 invalid_request', (body) => {
    let thrown: unknown;
    try {
      parseVendRequest(body);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ statusCode: 400, code: 'invalid_request' });
  });
});
