/**
 * The generated parts of the docs (scripts/docs/generate.ts) match their sources of truth: the runbook
 * (lib/runbook.ts, the alarms' own definitions) and the endpoint table (openapi.yaml).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { anchorsOf, checkCode, checkMarkdown } from '../../scripts/docs/check-links.js';
import { generatedParts, renderEndpoints } from '../../scripts/docs/generate.js';
import { FUNCTION_ALARMS, renderRunbook, STACK_ALARMS } from '../../lib/runbook.js';

it('docs/operations.md and docs/api.md hold what npm run docs writes', async () => {
  for (const part of await generatedParts()) {
    if (part.current !== part.expected) throw new Error(`${part.file} is stale: run npm run docs`);
  }
});

it('lists every operation of openapi.yaml in the endpoint table', () => {
  const text = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8');
  const spec = parse(text) as { paths: Record<string, Record<string, unknown>> };
  const table = renderEndpoints(text);
  const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => ['get', 'put', 'post', 'patch', 'delete'].includes(key))
      .map((method) => `\`${method.toUpperCase()} ${path}\``),
  );
  expect(operations.length).toBeGreaterThan(20);
  for (const operation of operations) expect(table).toContain(operation);
});

it('writes one runbook entry per alarm kind, the function a parameter', () => {
  const text = renderRunbook(['webhook', 'repository-sync']);
  for (const name of Object.keys(STACK_ALARMS)) expect(text).toContain(`### GitHubAppAccounts-${name}\n`);
  for (const kind of Object.keys(FUNCTION_ALARMS))
    expect(text).toContain(`### GitHubAppAccounts-<Function>-${kind}\n`);
  expect(text).toContain('`RepositorySync` (`repository-sync`)');
  expect(text).not.toMatch(/\{(stack|Function|function)\}/);
});

describe('the link check (npm run lint:docs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'links-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('finds a missing file and a missing heading, and passes what exists', () => {
    write('target.md', '# Title\n\n## Who may link\n\n## Who may link\n\n```\n# not a heading\n```\n');
    const page = write(
      'page.md',
      [
        '[ok](target.md#who-may-link) [again](target.md#who-may-link-1) [self](#here)',
        '[gone](missing.md) [bad](target.md#not-a-heading) [web](https://example.com/x.md#y)',
        '## Here',
      ].join('\n'),
    );
    expect(checkMarkdown(page).map((problem) => problem.replace(/^.*: \(/, '('))).toEqual([
      '(missing.md): no such file',
      '(target.md#not-a-heading): no heading with anchor #not-a-heading',
    ]);
  });

  it('checks pointers in comments only, and knows README headings', () => {
    // Built, so that this file's own lines are not comments pointing at missing docs.
    const COMMENT = '/'.repeat(2);
    const code = write(
      'code.ts',
      [
        `${COMMENT} see docs/architecture.md "Data model" and docs/how-it-works.md#who-may-link`,
        `${COMMENT} see docs/architecture.md "No such heading", README "Gone", docs/nowhere.md`,
        "const path = 'docs/intro.md'; // a repository's file, not a pointer",
      ].join('\n'),
    );
    expect(checkCode(code).map((problem) => problem.replace(/^[^:]*:/, ''))).toEqual([
      '2: docs/architecture.md "No such heading": no such heading in docs/architecture.md',
      '2: docs/nowhere.md: no such file',
      '2: README "Gone": no such heading in README.md (point into docs/)',
    ]);
  });

  it('names anchors as GitHub does', () => {
    expect([...anchorsOf('## 5. Fill the secrets\n## `GET /me` — who\n## A\n## A\n')]).toEqual([
      '5-fill-the-secrets',
      'get-me--who',
      'a',
      'a-1',
    ]);
  });
});
