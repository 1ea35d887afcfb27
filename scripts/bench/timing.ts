import type { TimedCall } from '../../local/github-emulator/call-timing.js';

/**
 * The most calls in flight at once: a sweep over the calls' starts and ends. A call that ends when
 * another starts does not overlap it (ends are taken before starts at the same instant).
 */
export function maxInFlight(calls: readonly TimedCall[]): number {
  const events = calls.flatMap((call) => [
    { at: call.startMs, delta: 1 },
    { at: call.endMs, delta: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let max = 0;
  for (const event of events) {
    current += event.delta;
    max = Math.max(max, current);
  }
  return max;
}

/** Groups items by a key (e.g. calls by installation). */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
