import type { RateLimiter } from '../../rate-limits.js';

/**
 * What the control API keeps beside the world: faults to inject, the call log, latency, GitHub's limits.
 */
export type Fault = {
  id: number;
  method: string | undefined;
  /** An OpenAPI path template (`/app/installations/{installation_id}/access_tokens`) or an exact path. */
  route: string | undefined;
  remaining: number;
  status: number;
  headers: Record<string, string>;
  body: unknown;
  delayMs: number;
  /**
   * `respond` answers with status/headers/body; `reset` drops the connection (after any delay), GitHub
   * having done nothing. `act-then-delay` and `act-then-reset` let GitHub do the work (the call takes
   * effect: a refresh token is rotated, a repository created), then answer late or never.
   * `cut-body` and `stall-body` also let GitHub act, then send the answer's status and headers (with
   * its full Content-Length) and half of its body: `cut-body` then drops the connection, `stall-body`
   * sends nothing more (for `delayMs` if given, then drops it; else until the client gives up).
   */
  mode: FaultMode;
};

export const FAULT_MODES = [
  'respond',
  'reset',
  'act-then-delay',
  'act-then-reset',
  'cut-body',
  'stall-body',
] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export type CallRecord = {
  method: string;
  route: string;
  path: string;
  credential: string;
  status: number;
  at: string;
  /** Wall-clock milliseconds (Date.now) when the request arrived and when its answer was sent, so
   * that calls made in parallel visibly overlap (the emulator clock `at` may be advanced in tests). */
  startMs: number;
  endMs: number;
  grantType?: string;
  installationId?: number;
  fault?: number;
  body?: unknown;
};

export type AdminState = {
  faults: Fault[];
  calls: CallRecord[];
  nextFaultId: number;
  /** Added to every REST answer (not the control API), like the network distance to GitHub. */
  latencyMs: number;
  /** With a range (`PUT /_emulator/latency {minMs, maxMs}`), each answer waits a random time from
   * latencyMs to latencyMaxMs, as real calls vary; equal to latencyMs for a fixed latency. */
  latencyMaxMs: number;
  /** GitHub's rate limits (rate-limits.ts); reset restores them. */
  limits: RateLimiter;
};
