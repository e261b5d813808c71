// The audit chart's arithmetic (screens/audit-chart.tsx draws it): rows into time buckets by series.
import type { AuditRow } from '../../shared/connections';

/** Series beyond these are summed as "Other", so the colours stay tellable apart. */
const MAX_SERIES = 5;
const STEPS_MS = [60_000, 5 * 60_000, 15 * 60_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000];
const MAX_BARS = 30;
const MIN_BARS = 12;

export interface Bucket {
  start: number;
  end: number;
  counts: number[];
  total: number;
}

export interface ChartData {
  series: string[];
  buckets: Bucket[];
  stepMs: number;
}

/**
 * Rows into at most MAX_BARS time buckets of a round size (a minute … a month), aligned to the local
 * clock, each split by series (the MAX_SERIES busiest, then "Other"). Empty buckets in between are kept:
 * a gap in activity is part of the picture.
 */
export function bucketRows(rows: readonly AuditRow[], keyOf: (r: AuditRow) => string, offsetMs = new Date().getTimezoneOffset() * 60_000): ChartData {
  if (rows.length === 0) return { series: [], buckets: [], stepMs: STEPS_MS[0]! };
  const times = rows.map((r) => Date.parse(r.at));
  const min = Math.min(...times);
  const max = Math.max(...times);
  const stepMs = STEPS_MS.find((s) => (max - min) / s < MAX_BARS) ?? STEPS_MS[STEPS_MS.length - 1]!;
  const align = (t: number) => Math.floor((t - offsetMs) / stepMs) * stepMs + offsetMs;
  const tally = new Map<string, number>();
  for (const r of rows) tally.set(keyOf(r), (tally.get(keyOf(r)) ?? 0) + 1);
  const ranked = [...tally].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  const series = ranked.length > MAX_SERIES + 1 ? [...ranked.slice(0, MAX_SERIES), 'Other'] : ranked;
  const indexOf = new Map(series.map((k, i) => [k, i]));
  const last = align(max);
  // At least MIN_BARS: a burst within one minute is one bar among the quiet minutes before it, not a wall.
  const first = Math.min(align(min), last - (MIN_BARS - 1) * stepMs);
  const n = Math.floor((last - first) / stepMs) + 1;
  const buckets: Bucket[] = Array.from({ length: n }, (_, i) => ({ start: first + i * stepMs, end: first + (i + 1) * stepMs, counts: series.map(() => 0), total: 0 }));
  rows.forEach((r, i) => {
    const b = buckets[Math.floor((align(times[i]!) - first) / stepMs)]!;
    b.counts[indexOf.get(keyOf(r)) ?? series.length - 1]! += 1;
    b.total += 1;
  });
  return { series, buckets, stepMs };
}

