/**
 * `npm run docs`: writes the generated parts of the docs from their sources of truth, between
 * `<!-- generated:<name> -->` and `<!-- end generated:<name> -->` markers:
 * - docs/operations.md `runbook`: from lib/runbook.ts (the alarms' own definitions);
 * - docs/api.md `endpoints`: the endpoint table, from openapi.yaml;
 * - docs/events.md `catalog` and events/schemas/<type>.json: from functions/shared/events/catalog.ts.
 * `--check` writes nothing and fails when a part is stale (test/unit/docs-generated.test.ts does the same).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { parse } from 'yaml';
import { renderRunbook } from '../../lib/runbook.js';
import { SERVICE_FUNCTIONS } from '../../functions/shared/service-routes.js';
import { detailJsonSchema, EVENT_CATALOG, EVENT_TYPES } from '../../functions/shared/events/catalog.js';

const root = new URL('../../', import.meta.url);
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
/** Statuses any route may answer (docs/api.md says so once): left out of each row. */
const EVERY_ROUTE = new Set(['413', '429', '500', '503', 'default']);

/** A 429 of the service's own (an abuse limit), not only API Gateway's throttle: listed in the row. */
const ownTooManyRequests = (status: string, response: unknown) =>
  status === '429' && (response as { $ref?: string }).$ref !== '#/components/responses/TooManyRequests';

type Operation = {
  summary?: string;
  operationId?: string;
  security?: Array<Record<string, unknown>>;
  responses?: Record<string, unknown>;
};
type OpenApi = { paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>> };

/** The endpoint table: one row per operation, in the contract's order. */
export function renderEndpoints(openapiText: string): string {
  const spec = parse(openapiText) as OpenApi;
  const rows = Object.entries(spec.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const op = item[method];
      if (!op) return [];
      // The contract's default security is the session; an operation may name its own, or none.
      const auth = !op.security
        ? 'session'
        : op.security.length === 0
          ? 'none'
          : op.security.flatMap((scheme) => Object.keys(scheme)).join(', ');
      const statuses = Object.entries(op.responses ?? {})
        .filter(([status, response]) => !EVERY_ROUTE.has(status) || ownTooManyRequests(status, response))
        .map(([status]) => status)
        .join(', ');
      const summary = (op.summary ?? '').replaceAll('|', '\\|');
      return [`| \`${method.toUpperCase()} ${path}\` | ${summary} | ${auth} | ${statuses} |`];
    }),
  );
  return [
    '| Endpoint | What it does | Auth | Answers |',
    '| -------- | ------------ | ---- | ------- |',
    ...rows,
    '',
  ].join('\n');
}

/** The event catalog: one row per type, with when it is published and its schema file. */
export function renderEventCatalog(): string {
  const rows = EVENT_TYPES.map((type) => {
    const when = (EVENT_CATALOG[type].description ?? '').replaceAll('|', '\\|');
    return `| [\`${type}\`](../events/schemas/${type}.json) | ${when} |`;
  });
  return ['| Type (`detail-type`) | When, and to which accounts |', '| --- | --- |', ...rows, ''].join('\n');
}

/** Whole files generated from a source of truth (JSON, formatted by Prettier). */
export const GENERATED_FILES = EVENT_TYPES.map((type) => ({
  file: `events/schemas/${type}.json`,
  render: () => JSON.stringify(detailJsonSchema(type)),
}));

export const GENERATED = [
  {
    file: 'docs/operations.md',
    name: 'runbook',
    render: () => renderRunbook(Object.keys(SERVICE_FUNCTIONS)),
  },
  {
    file: 'docs/api.md',
    name: 'endpoints',
    render: () => renderEndpoints(readFileSync(new URL('openapi.yaml', root), 'utf8')),
  },
  { file: 'docs/events.md', name: 'catalog', render: renderEventCatalog },
] as const;

/** The file's text with its generated part replaced; throws when the markers are missing. */
export function withGenerated(text: string, name: string, content: string, file: string): string {
  const start = `<!-- generated:${name} (npm run docs) -->\n`;
  const end = `<!-- end generated:${name} -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file}: markers for the generated part "${name}" are missing`);
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

/** Every generated part: its file, what the file holds and what it should hold (as Prettier writes it). */
export async function generatedParts(): Promise<Array<{ file: string; current: string; expected: string }>> {
  const parts = GENERATED.map(async (part) => {
    const url = new URL(part.file, root);
    const current = readFileSync(url, 'utf8');
    const options = { ...(await resolveConfig(fileURLToPath(url))), parser: 'markdown' };
    const expected = await format(withGenerated(current, part.name, part.render(), part.file), options);
    return { file: part.file, current, expected };
  });
  const files = GENERATED_FILES.map(async (generated) => {
    const url = new URL(generated.file, root);
    const current = existsSync(url) ? readFileSync(url, 'utf8') : '';
    const options = { ...(await resolveConfig(fileURLToPath(url))), parser: 'json' };
    return { file: generated.file, current, expected: await format(generated.render(), options) };
  });
  return Promise.all([...parts, ...files]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const part of await generatedParts()) {
    if (part.current === part.expected) continue;
    if (check) {
      stale++;
      console.error(`${part.file} is stale: run npm run docs`);
    } else {
      mkdirSync(new URL('.', new URL(part.file, root)), { recursive: true });
      writeFileSync(new URL(part.file, root), part.expected);
      console.log(`wrote ${part.file}`);
    }
  }
  if (stale) process.exit(1);
}
