import { readdirSync, readFileSync } from 'node:fs';
import AjvDraft04 from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { EVENT_CATALOG, EVENT_TYPES, type EventType } from '../../functions/shared/events/catalog.js';

// The published schemas (events/schemas/, what the stack registers) as a consumer's validator reads
// them: draft 4, formats checked.
// Both are CommonJS whose `module.exports` is also their `default` (typed as the module under NodeNext).
const ajv = new AjvDraft04.default({ allErrors: true, strict: true });
(addFormatsModule as unknown as (instance: typeof ajv) => void)(ajv);
const schemaDir = new URL('../../events/schemas/', import.meta.url);
const published = (type: EventType) =>
  JSON.parse(readFileSync(new URL(`${type}.json`, schemaDir), 'utf8')) as Record<string, unknown>;

const sha = (digit: string) => digit.repeat(40);
const account = { id: 'acc_01', name: 'Team A' };
const installation = { id: 42, accountLogin: 'octo-org', accountType: 'Organization' };
const repository = { id: 7, owner: 'octo-org', name: 'web-app', installationId: 42 };
const member = { id: 3, login: 'octo-teammate' };
const policy = {
  id: '0123456789abcdef0123',
  principal: 'arn:aws:iam::123456789012:role/builder',
  repositories: ['octo-org/api', 'octo-org/web-app'],
  permissions: { contents: 'read', statuses: 'write' },
  maxLifetimeMinutes: 30,
};

/** One well-formed detail of each type, as the service would publish it. */
const SAMPLES: Record<EventType, Record<string, unknown>> = {
  'account.created': { account },
  'account.renamed': { account, previousName: 'Team Alpha' },
  'account.deleted': { account },
  'member.invited': { account, invitee: member, role: 'member', expiresAt: '2026-12-14T10:00:00.000Z' },
  'member.joined': { account, member, role: 'member' },
  'member.declined': { account, invitee: member },
  'member.role_changed': { account, member, role: 'admin', previousRole: 'member' },
  'member.left': { account, member },
  'member.removed': { account, member },
  'installation.linked': { account, installation },
  'installation.unlinked': { account, installation },
  'installation.scope_changed': {
    account,
    installation,
    scope: { repositories: ['web-app'], patterns: ['team-a-*'] },
  },
  'installation.suspended': { installation },
  'installation.unsuspended': { installation },
  'installation.deleted': { installation },
  'installation.renamed': { installation, previousLogin: 'old-org' },
  'installation.permissions_accepted': { installation, permissions: { contents: 'write', metadata: 'read' } },
  'repository.created': { repository, private: true, defaultBranch: 'main' },
  'repository.committed': { repository, branch: 'main', sha: sha('a'), parentSha: sha('b'), fileCount: 2 },
  'repository.pushed': {
    repository,
    ref: 'refs/heads/main',
    before: sha('b'),
    after: sha('c'),
    commitCount: 3,
    compareUrl: 'https://github.com/octo-org/web-app/compare/bbbbbbbbbbbb...cccccccccccc',
    pusher: { name: 'octo-demo', login: 'octo-demo' },
  },
  'service_access.granted': { account, policy },
  'service_access.changed': { account, policy, previous: { repositories: ['octo-org/web-app'] } },
  'service_access.revoked': { account, policy },
  'user.authorization_revoked': { user: member },
};

const envelope = (type: EventType) => ({
  eventId: '0b6f4a52-9c1e-4d7e-9a55-2f4a3c1d9e10',
  platformAccountIds: ['acc_01'],
  actor:
    type.startsWith('installation.') && !type.endsWith('linked')
      ? { type: 'github', login: null }
      : { type: 'user', userId: 1, login: 'octo-demo' },
  occurredAt: '2026-12-07T10:00:00.000Z',
  correlationId: 'req-1',
});

it('one published draft-4 schema per type, and no other', () => {
  const files = readdirSync(schemaDir).filter((file) => file.endsWith('.json'));
  expect(files.sort()).toEqual(EVENT_TYPES.map((type) => `${type}.json`).sort());
  for (const type of EVENT_TYPES) {
    expect(published(type)).toMatchObject({
      $schema: 'http://json-schema.org/draft-04/schema#',
      title: type,
    });
  }
});

describe.each(EVENT_TYPES)('%s', (type) => {
  const validate = ajv.compile(published(type));
  const event = { ...envelope(type), ...SAMPLES[type] };

  it("a well-formed detail passes the published schema and the code's own", () => {
    expect(validate(event) ? [] : validate.errors).toEqual([]);
    expect(EVENT_CATALOG[type].safeParse(event).success).toBe(true);
  });

  it.each(['eventId', 'platformAccountIds', 'actor', 'occurredAt', 'correlationId'])(
    'without %s it is refused',
    (field) => {
      const { [field]: _left, ...rest } = event as Record<string, unknown>;
      expect(validate(rest)).toBe(false);
      expect(EVENT_CATALOG[type].safeParse(rest).success).toBe(false);
    },
  );

  it('an undeclared field, a token-shaped field or a bad date is refused', () => {
    expect(validate({ ...event, token: 'ghs_x' })).toBe(false);
    expect(validate({ ...event, occurredAt: 'yesterday' })).toBe(false);
    expect(validate({ ...event, eventId: 'not-a-uuid' })).toBe(false);
  });
});
