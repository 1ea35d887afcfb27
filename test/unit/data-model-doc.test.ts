/**
 * docs/architecture.md "Data model" names every item kind keys.ts builds: each key's fixed parts
 * (the partition's prefix and the sort key's, up to the first variable part) appear in the table.
 */
import { readFileSync } from 'node:fs';
import { keys } from '../../functions/shared/store/keys.js';

const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
const table = doc.slice(doc.indexOf('## Data model'));

/** `ACCOUNT#abc` → `ACCOUNT#`; `REDELIVERY_RUN` stays whole. */
const fixedPart = (key: string) => /^[A-Z_]+#?/.exec(key)?.[0] ?? key;

it.each(Object.entries(keys))('names the item kind %s', (_name, build) => {
  // Every key builder takes ids and names: a sample of each is enough to see its fixed parts.
  const key = (build as (...args: unknown[]) => Record<string, string>)('x', 1, 'y', 2);
  // Index-only keys (GSI1PK/GSI1SK of an item) are checked as well.
  const parts = ['PK', 'SK', 'GSI1PK', 'GSI1SK'].flatMap((name) => {
    const value = key[name];
    return value === undefined ? [] : [fixedPart(value)];
  });
  expect(parts.length).toBeGreaterThanOrEqual(2);
  for (const part of parts) expect(table).toMatch(new RegExp(`\`${part.replace(/[$]/g, '\\$&')}`));
});
