/** A call from the emulator's call log, timed by the wall clock (`GET /_emulator/calls`). */
export type TimedCall = { startMs: number; endMs: number };

/**
 * How many GitHub round trips the calls took one after another: the longest chain of calls each
 * starting after the previous one ended. Calls made in parallel overlap and count once.
 */
export function sequentialRoundTrips(calls: readonly TimedCall[]): number {
  const sorted = [...calls].sort((a, b) => a.startMs - b.startMs);
  const depth: number[] = [];
  sorted.forEach((call, i) => {
    const before = sorted.slice(0, i).map((other, j) => (other.endMs <= call.startMs ? (depth[j] ?? 0) : 0));
    depth.push(1 + Math.max(0, ...before));
  });
  return Math.max(0, ...depth);
}
