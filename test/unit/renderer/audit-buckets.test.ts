// The audit chart's buckets: round sizes, at least a dozen bars, gaps kept, every row counted once in
// its series, and the quietest series summed as "Other".
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import type { AuditRow } from '../../../shared/connections';
import { bucketRows } from '../../../renderer/src/audit-buckets';

let id = 0;
const row = (at: string, connectionId: string | null, skill: string | null = null): AuditRow => ({
  id: ++id,
  at,
  userId: 'default',
  connectionId,
  serviceId: null,
  skill,
  tool: null,
  action: 'test',
  outcome: 'ok',
  detail: null,
});
const byConnection = (r: AuditRow) => r.connectionId ?? 'none';
const UTC = 0;

describe('audit chart buckets', () => {
  test('no rows, no bars', () => {
    assert.deepEqual(bucketRows([], byConnection, UTC).buckets, []);
  });

  test('a burst within a minute: one-minute bars, the burst last after eleven quiet ones', () => {
    const rows = [row('2026-01-05T10:00:05Z', 'a'), row('2026-01-05T10:00:40Z', 'b'), row('2026-01-05T10:00:50Z', 'a')];
    const d = bucketRows(rows, byConnection, UTC);
    assert.equal(d.stepMs, 60_000);
    assert.equal(d.buckets.length, 12);
    assert.deepEqual(d.buckets.slice(0, 11).map((b) => b.total), Array(11).fill(0));
    const last = d.buckets[11]!;
    assert.equal(new Date(last.start).toISOString(), '2026-01-05T10:00:00.000Z');
    assert.deepEqual([d.series, last.counts, last.total], [['a', 'b'], [2, 1], 3]);
  });

  test('a day of rows: hour bars aligned to the local clock, the gap between kept', () => {
    const rows = [row('2026-01-05T00:10:00Z', 'a'), row('2026-01-05T23:50:00Z', 'a')];
    // UTC+05:45 (Kathmandu): getTimezoneOffset() is -345.
    const d = bucketRows(rows, byConnection, -345 * 60_000);
    assert.equal(d.stepMs, 3_600_000);
    assert.equal(d.buckets.length, 25);
    for (const b of d.buckets) assert.equal(new Date(b.start).getUTCMinutes(), 15, 'starts on a Kathmandu hour');
    assert.equal(d.buckets.reduce((n, b) => n + b.total, 0), 2);
    assert.equal(d.buckets.filter((b) => b.total === 0).length, 23);
  });

  test('more than six series: the five busiest and Other, every row counted once', () => {
    const rows: AuditRow[] = [];
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].forEach((c, i) => {
      for (let k = 0; k < 10 - i; k++) rows.push(row(`2026-01-05T10:0${k % 10}:00Z`, c));
    });
    const d = bucketRows(rows, byConnection, UTC);
    assert.deepEqual(d.series, ['a', 'b', 'c', 'd', 'e', 'Other']);
    const perSeries = d.series.map((_, i) => d.buckets.reduce((n, b) => n + b.counts[i]!, 0));
    assert.deepEqual(perSeries, [10, 9, 8, 7, 6, 5 + 4 + 3]);
    assert.equal(d.buckets.reduce((n, b) => n + b.total, 0), rows.length);
  });
});
