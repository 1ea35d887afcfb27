import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { installationPayload } from '../support/events.js';
import { sendWebhook, startService, type ServiceFixture } from '../support/service.js';
import { seededRandom } from '../support/seeded-random.js';

/**
 * Issue #22, finding 4: a signed payload with an out-of-range numeric timestamp (`updated_at: 1e20`,
 * `-1e17`) reached toISOString and answered 500. Every date field the payload schemas declare takes an
 * ISO-8601 string or epoch seconds within JavaScript's date range, else 400 `invalid_payload` with
 * nothing applied; and a seeded fuzz over every handled payload shows no 5xx.
 */
let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService();
});
afterAll(() => fx?.close());

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

let nextId = 700_000;
const repository = (id: number, extra: Record<string, Json> = {}) => ({
  id,
  name: `repo-${id}`,
  full_name: `org-${id}/repo-${id}`,
  owner: { id: id + 1_000_000, login: `org-${id}` },
  private: false,
  visibility: 'public',
  default_branch: 'main',
  archived: false,
  html_url: `https://github.test/org-${id}/repo-${id}`,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-02T00:00:00Z',
  pushed_at: 1767225600,
  ...extra,
});

/** A valid payload of every event and action the service handles, for a fresh installation id. */
const PAYLOADS: Array<[string, (id: number) => Json]> = [
  ...['created', 'deleted', 'suspend', 'unsuspend', 'new_permissions_accepted'].map(
    (action): [string, (id: number) => Json] => [
      'installation',
      (id) => installationPayload(id, action, { created_at: '2026-01-01T00:00:00Z' }),
    ],
  ),
  [
    'installation_repositories',
    (id) => ({
      ...(installationPayload(id, 'added') as Record<string, Json>),
      repository_selection: 'selected',
      repositories_added: [{ id: id + 5, name: 'a', full_name: `org-${id}/a`, private: false }],
      repositories_removed: [],
    }),
  ],
  [
    'installation_target',
    (id) => ({
      action: 'renamed',
      account: { id: id + 1_000_000, login: `renamed-${id}` },
      installation: { id },
      target_type: 'Organization',
    }),
  ],
  ['github_app_authorization', (id) => ({ action: 'revoked', sender: { id, login: `user-${id}` } })],
  ...['created', 'deleted', 'archived', 'edited', 'renamed', 'transferred', 'privatized'].map(
    (action): [string, (id: number) => Json] => [
      'repository',
      (id) => ({ action, repository: repository(id), installation: { id } }),
    ],
  ),
];

const NASTY: readonly Json[] = [
  1e20,
  -1e17,
  1e308,
  -1e308,
  8.64e12 + 1,
  -1,
  0,
  1.5,
  2 ** 53 + 2,
  '',
  ' ',
  'not a date',
  '2026-13-45T99:99:99Z',
  '1e20',
  '+275760-09-13T00:00:00.001Z',
  'x'.repeat(3000),
  '\u0000',
  '../../accounts',
  null,
  true,
  false,
  [],
  [1, 'a', null],
  {},
  { $gt: '' },
];

/** Every path in a JSON value (to objects, arrays and leaves). */
function paths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const children = Array.isArray(value)
    ? value.flatMap((child, index) => paths(child, [...prefix, index]))
    : Object.entries(value).flatMap(([key, child]) => paths(child, [...prefix, key]));
  return prefix.length > 0 ? [prefix, ...children] : children;
}

function mutate(payload: Json, rng: ReturnType<typeof seededRandom>): Json {
  const copy = JSON.parse(JSON.stringify(payload)) as Json;
  for (let round = 0, rounds = 1 + rng.int(3); round < rounds; round++) {
    // Read again each round: an earlier mutation may have replaced a whole branch.
    const all = paths(copy);
    if (all.length === 0) break;
    const path = rng.pick(all);
    let parent: Json = copy;
    for (const step of path.slice(0, -1)) {
      parent =
        parent !== null && typeof parent === 'object'
          ? ((parent as Record<string, Json>)[step] ?? null)
          : null;
    }
    const last = path[path.length - 1];
    if (parent === null || typeof parent !== 'object' || last === undefined) continue;
    const record = parent as Record<string | number, Json>;
    if (rng.next() < 0.15) delete record[last];
    else record[last] = rng.pick(NASTY);
  }
  return copy;
}

async function itemsOf(prefix: string): Promise<number> {
  const { Items = [] } = await fx.table.raw.send(
    new ScanCommand({
      TableName: fx.table.tableName,
      FilterExpression: 'begins_with(PK, :pk)',
      ExpressionAttributeValues: { ':pk': { S: prefix } },
    }),
  );
  return Items.length;
}

describe('date fields of signed payloads', () => {
  const dateFields: Array<[string, (id: number, value: Json) => Json]> = [
    ['installation.updated_at', (id, value) => installationPayload(id, 'created', { updated_at: value })],
    ['installation.created_at', (id, value) => installationPayload(id, 'created', { created_at: value })],
    ['installation.suspended_at', (id, value) => installationPayload(id, 'suspend', { suspended_at: value })],
    [
      'repository.updated_at',
      (id, value) => ({
        action: 'created',
        repository: repository(id, { updated_at: value }),
        installation: { id },
      }),
    ],
    [
      'repository.created_at',
      (id, value) => ({
        action: 'created',
        repository: repository(id, { created_at: value }),
        installation: { id },
      }),
    ],
    [
      'repository.pushed_at',
      (id, value) => ({
        action: 'created',
        repository: repository(id, { pushed_at: value }),
        installation: { id },
      }),
    ],
  ];

  it.each(dateFields)(
    '%s out of range or not a date is 400 invalid_payload, nothing applied',
    async (field, build) => {
      const event = field.split('.')[0] ?? '';
      for (const value of [
        1e20,
        -1e17,
        8.64e12 + 1,
        'not a date',
        '2026-02-30T25:00:00Z',
        '1700000000',
        true,
      ]) {
        const id = nextId++;
        const response = await sendWebhook(fx, event, build(id, value));
        const body = (await response.json()) as { error?: string; message?: string };
        expect([field, value, response.status, body.error]).toEqual([field, value, 400, 'invalid_payload']);
        expect(body.message).toContain(field);
        expect(await itemsOf(`INSTALLATION#${id}`)).toBe(0);
        expect(await itemsOf(`REPOSITORY#${id}`)).toBe(0);
      }
    },
  );

  it.each(dateFields)('%s as ISO-8601 or epoch seconds in range is accepted', async (field, build) => {
    const event = field.split('.')[0] ?? '';
    for (const value of ['2026-04-01T12:00:00Z', '2026-04-01T12:00:00.123+02:00', 1767225600, 0]) {
      const response = await sendWebhook(fx, event, build(nextId++, value));
      expect([field, value, [200, 202].includes(response.status)]).toEqual([field, value, true]);
    }
  });
});

describe('fuzz: every handled payload, mutated with a seeded generator', () => {
  it('never answers 5xx, and every refusal is a 4xx { error, message }', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 22);
    const rng = seededRandom(seed);
    const answered: Record<string, number> = {};
    for (let round = 0; round < 12; round++) {
      // Each payload kind once a round, five deliveries in flight at a time.
      const batch = PAYLOADS.map(([event, build]) => [event, mutate(build(nextId++), rng)] as const);
      for (let start = 0; start < batch.length; start += 5) {
        await Promise.all(
          batch.slice(start, start + 5).map(async ([event, payload]) => {
            const response = await sendWebhook(fx, event, payload);
            const body = (await response.json()) as Record<string, unknown>;
            answered[response.status] = (answered[response.status] ?? 0) + 1;
            if (response.status >= 500)
              throw new Error(
                `seed ${seed}: ${event} answered ${response.status}: ${JSON.stringify(payload)}`,
              );
            if (response.status >= 400)
              expect(body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
          }),
        );
      }
    }
    // Both outcomes are exercised: some mutations are harmless, most are refused.
    expect(Object.keys(answered).sort()).toEqual(expect.arrayContaining(['200', '400']));
    expect(Object.values(answered).reduce((a, b) => a + b, 0)).toBe(12 * PAYLOADS.length);
  });
});
