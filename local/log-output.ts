/**
 * What `npm start` prints of the handlers' own output. They write exactly what they write in Lambda:
 * one JSON object per line (Powertools Logger), and EMF metric lines (`_aws`). `json` passes it all
 * through unchanged; `text`, the default, keeps log lines in a short readable form and leaves the
 * metric lines out. Either way `npm start` adds one readable line per request (requestLine).
 */
import type { RequestLine } from './api-server.js';

export type LogFormat = 'text' | 'json';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export function parseLogSettings(env: NodeJS.ProcessEnv): { format: LogFormat; level: string } {
  const format = (env.LOG_FORMAT ?? 'text').toLowerCase();
  if (format !== 'text' && format !== 'json') throw new Error('LOG_FORMAT must be text or json');
  const level = (env.LOG_LEVEL ?? env.POWERTOOLS_LOG_LEVEL ?? 'warn').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return { format, level: level.toUpperCase() };
}

export function requestLine({ method, path, status, ms, requestId }: RequestLine): string {
  return `${method} ${path} → ${status} (${ms} ms) ${requestId}`;
}

/** Keys every Powertools line carries that say nothing about this request. */
const BOILERPLATE = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
]);

/**
 * One chunk of handler output in the text format: a log line made readable, `undefined` to drop it (a
 * metric line), or the chunk unchanged when it is not one of the handlers' JSON lines.
 */
export function toText(chunk: string): string | undefined {
  if (!chunk.startsWith('{')) return chunk;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(chunk) as Record<string, unknown>;
  } catch {
    return chunk;
  }
  if ('_aws' in parsed) return undefined;
  if (typeof parsed.level !== 'string' || !('message' in parsed)) return chunk;
  const fields = Object.entries(parsed)
    .filter(([key]) => !BOILERPLATE.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const fn = typeof parsed.function_name === 'string' ? ` [${parsed.function_name}]` : '';
  return `  ${parsed.level}${fn} ${String(parsed.message)}  ${fields.join(' ')}\n`;
}

/** Routes what is written to stdout and stderr through toText (Powertools writes to both directly). */
export function printHandlerOutputAsText(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
    stream.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = toText(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return text === undefined ? true : write(text, ...rest);
    };
  }
}
