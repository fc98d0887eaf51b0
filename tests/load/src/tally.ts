/**
 * How many times each value occurs: compared whole with `toEqual`, a failure shows every outcome at once.
 *
 * @example
 * tally(['200', '200', '504']); // { '200': 2, '504': 1 }
 */
export function tally(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
