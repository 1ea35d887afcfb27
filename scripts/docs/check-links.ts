/**
 * `npm run lint:links` (part of `npm run lint`), offline: every relative link of the Markdown files
 * (README.md, docs/) reaches a file, and its `#anchor` a heading of that file; every code comment that
 * points into the docs (a docs file, with an `#anchor` or a quoted heading after it, or README and a
 * quoted heading) points at a file and heading that exist.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { headingAnchor } from '../../lib/runbook.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CODE_DIRS = ['functions', 'lib', 'local', 'scripts', 'test', 'console/src', 'bin', '.ci'];
const SKIP = new Set(['node_modules', 'cdk.out', 'dist', '.git', 'coverage']);

function walk(dir: string, keep: (file: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path, keep) : keep(path) ? [path] : [];
  });
}

/** The anchors GitHub gives a Markdown file's headings (a repeated heading gets -1, -2, …). */
const anchorCache = new Map<string, Set<string>>();
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    // Inline code and links render as their text.
    const text = (heading[1] ?? '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = headingAnchor(text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function anchorsOfFile(path: string): Set<string> {
  let anchors = anchorCache.get(path);
  if (!anchors) {
    anchors = anchorsOf(readFileSync(path, 'utf8'));
    anchorCache.set(path, anchors);
  }
  return anchors;
}

/** Problems of one Markdown file's relative links. */
export function checkMarkdown(path: string): string[] {
  const text = readFileSync(path, 'utf8').replace(/^\s*(```|~~~)[\s\S]*?^\s*\1/gm, '');
  const problems: string[] = [];
  for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = match[1] ?? '';
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [file = '', anchor] = target.split('#');
    const resolved = file === '' ? path : resolve(dirname(path), decodeURIComponent(file));
    const where = `${relative(root, path)}: (${target})`;
    if (!existsSync(resolved)) problems.push(`${where}: no such file`);
    else if (anchor && resolved.endsWith('.md') && !anchorsOfFile(resolved).has(anchor.toLowerCase()))
      problems.push(`${where}: no heading with anchor #${anchor}`);
  }
  return problems;
}

/** Problems of one source file's pointers into the docs. */
export function checkCode(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const problems: string[] = [];
  const at = (index: number) => `${relative(root, path)}:${text.slice(0, index).split('\n').length}`;
  // Pointers live in comments; the same text in a string (a test's file path) is data.
  const inComment = (index: number) => {
    const line = text.slice(text.lastIndexOf('\n', index - 1) + 1, index);
    return line.includes('//') || /^\s*(\/\*|\*)/.test(line);
  };
  for (const match of text.matchAll(/\b(docs\/[\w./-]+\.md)(?:#([\w-]+)|\s+"([^"\n]+)")?/g)) {
    if (!inComment(match.index)) continue;
    const file = join(root, match[1] ?? '');
    if (!existsSync(file)) {
      problems.push(`${at(match.index)}: ${match[1]}: no such file`);
      continue;
    }
    const anchor = match[2] ?? (match[3] === undefined ? undefined : headingAnchor(match[3]));
    if (anchor && !anchorsOfFile(file).has(anchor))
      problems.push(`${at(match.index)}: ${match[0]}: no such heading in ${match[1]}`);
  }
  for (const match of text.matchAll(/\bREADME(?:\.md)? "([^"\n]+)"/g)) {
    if (!inComment(match.index)) continue;
    if (!anchorsOfFile(join(root, 'README.md')).has(headingAnchor(match[1] ?? '')))
      problems.push(`${at(match.index)}: ${match[0]}: no such heading in README.md (point into docs/)`);
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const markdown = [join(root, 'README.md'), ...walk(join(root, 'docs'), (f) => f.endsWith('.md'))];
  const code = CODE_DIRS.flatMap((dir) => walk(join(root, dir), (f) => /\.(ts|tsx|js|mjs)$/.test(f)));
  const problems = [...markdown.flatMap(checkMarkdown), ...code.flatMap(checkCode)];
  for (const problem of problems) console.error(problem);
  console.log(
    `${markdown.length} Markdown files and ${code.length} source files checked: ${problems.length} broken link(s)`,
  );
  if (problems.length) process.exit(1);
}
