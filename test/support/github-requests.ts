import diagnosticsChannel from 'node:diagnostics_channel';
import { sequentialRoundTrips, type TimedCall } from '../../local/github-emulator/call-timing.js';

/** One request this process sent to GitHub, timed where the service is: issued → answer read. */
export type GitHubRequest = TimedCall & { method: string; path: string };

type UndiciRequest = { origin: string; method: string; path: string };

/**
 * Records the requests this process's fetch (undici) sends to `origin`, timed on the client side: a
 * request starts when the service issues it and ends when its whole answer has arrived. Requests issued
 * together (Promise.all) all start before any answer can be read, whatever the machine's load, so a
 * chain of them measures what the code waits for, not how fast the emulator was (its call log times
 * arrivals, which a busy machine spreads out).
 */
export function recordGitHubRequests(origin: string) {
  const requests: GitHubRequest[] = [];
  const open = new WeakMap<object, GitHubRequest>();
  const created = (message: unknown) => {
    const { request } = message as { request: UndiciRequest };
    if (request.origin !== origin) return;
    const entry = { method: request.method, path: request.path, startMs: performance.now(), endMs: Infinity };
    open.set(request, entry);
    requests.push(entry);
  };
  const ended = (message: unknown) => {
    const entry = open.get((message as { request: object }).request);
    if (entry) entry.endMs = performance.now();
  };
  diagnosticsChannel.subscribe('undici:request:create', created);
  diagnosticsChannel.subscribe('undici:request:trailers', ended);
  diagnosticsChannel.subscribe('undici:request:error', ended);
  return {
    requests,
    clear: () => void requests.splice(0),
    /** Longest chain of requests each issued after the previous one's answer arrived. */
    sequentialRoundTrips: (subset: readonly GitHubRequest[] = requests) => sequentialRoundTrips(subset),
    stop() {
      diagnosticsChannel.unsubscribe('undici:request:create', created);
      diagnosticsChannel.unsubscribe('undici:request:trailers', ended);
      diagnosticsChannel.unsubscribe('undici:request:error', ended);
    },
  };
}
