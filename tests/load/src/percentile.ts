/**
 * The nearest-rank percentile of `values` (`p` from 0 to 100); NaN for no values.
 *
 * @example
 * percentile([5, 1, 3], 99); // 5
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
