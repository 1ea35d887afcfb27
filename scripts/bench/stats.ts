/** Pure helpers of the benchmark: order statistics and the interleaved measuring order. */

/** The p-th percentile (nearest rank) of values already sorted ascending; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** The median (lower middle for an even count, as percentile 50 by nearest rank). */
export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/**
 * The order in which `rounds` samples of every subject are taken: one of each per round, the subjects'
 * order rotating from round to round, so a drift of the machine (another process, thermal) falls on
 * every subject alike and none is always measured first or last.
 */
export function interleave<T>(subjects: readonly T[], rounds: number): Array<{ round: number; subject: T }> {
  const order: Array<{ round: number; subject: T }> = [];
  for (let round = 0; round < rounds; round++)
    for (let i = 0; i < subjects.length; i++)
      order.push({ round, subject: subjects[(i + round) % subjects.length] as T });
  return order;
}

/** How many times `measured` beats `anchor` (anchor / measured): 2 means half the bytes or time. */
export function ratio(anchor: number, measured: number): number {
  return anchor / measured;
}
