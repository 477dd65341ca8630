// Small statistics and timing helpers.

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Time one async call; resolves to [milliseconds, result]. */
async function timed<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const t0 = nowMs();
  const r = await fn();
  return [nowMs() - t0, r];
}

/** Nearest-rank percentile (p in 0..100) of a list of numbers. */
function percentile(samples: number[], p: number): number {
  if (!samples.length) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function median(samples: number[]): number {
  if (!samples.length) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

function summary(samples: number[]): Summary {
  return {
    n: samples.length,
    median: median(samples),
    p95: percentile(samples, 95),
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

export { nowMs, timed, percentile, median, summary };
