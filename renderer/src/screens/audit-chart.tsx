// The audit trail over time, stacked by connection or by agent/skill: a hand-drawn SVG (a chart library
// would be most of the Audit chunk's size for one small picture).
import { useEffect, useId, useMemo, useState } from 'react';
import type { AuditRow } from '../../../shared/connections';
import type { In } from '../../../shared/contract';
import { useApi } from '../api';
import { bucketRows, type Bucket } from '../audit-buckets';
import { describeError, type ErrorText } from '../errors';
import { ErrorNote } from '../ui';

type AuditFilter = Omit<In<'audit.query'>, 'limit' | 'offset'>;
export type ChartBy = 'connection' | 'agent';

/** The most rows one audit.query returns: the chart shows the newest this many and says so. */
const MAX_ROWS = 1000;
function useChartRows(filter: AuditFilter): { rows: AuditRow[]; total: number } | ErrorText | null {
  const { api } = useApi();
  const key = JSON.stringify(filter);
  const [answer, setAnswer] = useState<{ key: string; value: { rows: AuditRow[]; total: number } | ErrorText } | null>(null);
  useEffect(() => {
    let live = true;
    api['audit.query']({ ...(JSON.parse(key) as AuditFilter), limit: MAX_ROWS }).then(
      (v) => live && setAnswer({ key, value: v }),
      (err: unknown) => live && setAnswer({ key, value: describeError(err) }),
    );
    return () => {
      live = false;
    };
  }, [api, key]);
  return answer?.key === key ? answer.value : null;
}

const H = 170;

/**
 * The chart's box width in CSS pixels, followed as the window resizes: the SVG is drawn at that size
 * (not scaled from a fixed one), so its labels stay legible in a 400 px window.
 */
function useWidth(initial: number): [number, (el: HTMLElement | null) => void] {
  const [width, setWidth] = useState(initial);
  const [el, setEl] = useState<HTMLElement | null>(null);
  useEffect(() => {
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(200, Math.floor(entry.contentRect.width)));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [el]);
  return [width, setEl];
}
const PAD = { left: 30, right: 8, top: 8, bottom: 22 };

export function AuditChart({ filter, labels }: { filter: AuditFilter; labels: ReadonlyMap<string, string> }) {
  const [by, setBy] = useState<ChartBy>('connection');
  const answer = useChartRows(filter);
  const ids = { title: useId(), by: useId(), desc: useId() };
  const [W, box] = useWidth(800);
  const keyOf = useMemo(
    () => (by === 'connection' ? (r: AuditRow) => (r.connectionId ? (labels.get(r.connectionId) ?? r.connectionId) : 'No connection') : (r: AuditRow) => r.skill ?? 'No agent or skill'),
    [by, labels],
  );
  const rows = answer && 'rows' in answer ? answer.rows : null;
  const data = useMemo(() => (rows ? bucketRows(rows, keyOf) : null), [rows, keyOf]);
  if (answer && 'title' in answer) return <ErrorNote error={answer} />;
  // The box is there from the start (empty until rows come), so its width is known when they do.
  if (!data || !rows || rows.length === 0 || !answer || !('total' in answer)) return <section ref={box} className="chart-box" aria-hidden="true" />;

  const fmt = new Intl.DateTimeFormat(undefined, data.stepMs >= 86_400_000 ? { dateStyle: 'medium' } : { dateStyle: 'short', timeStyle: 'short' });
  const span = data.buckets[data.buckets.length - 1]!.end - data.buckets[0]!.start;
  // Within a day the axis needs only the times (each bar's label still has the date).
  const tickFmt = data.stepMs < 86_400_000 && span <= 86_400_000 ? new Intl.DateTimeFormat(undefined, { timeStyle: 'short' }) : fmt;
  const peak = Math.max(...data.buckets.map((b) => b.total));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / data.buckets.length;
  const barW = Math.max(2, slot * 0.72);
  const y = (v: number) => (v / peak) * plotH;
  const ticks = data.buckets.length === 1 ? [0] : [0, Math.floor((data.buckets.length - 1) / 2), data.buckets.length - 1];
  const summary = `${rows.length} audit ${rows.length === 1 ? 'row' : 'rows'}${answer.total > rows.length ? ` (the newest ${rows.length} of ${answer.total})` : ''} from ${fmt.format(data.buckets[0]!.start)} to ${fmt.format(data.buckets[data.buckets.length - 1]!.end)}, by ${by === 'connection' ? 'connection' : 'agent or skill'}; at most ${peak} in one bar.`;
  const barLabel = (b: Bucket) =>
    `${fmt.format(b.start)} to ${fmt.format(b.end)}: ${b.total} ${b.total === 1 ? 'row' : 'rows'}${b.total ? ' — ' : ''}${data.series
      .map((s, i) => (b.counts[i] ? `${s} ${b.counts[i]}` : ''))
      .filter(Boolean)
      .join(', ')}`;

  return (
    <section ref={box} className="card chart-card" aria-labelledby={ids.title}>
      <div className="chart-head">
        <h2 id={ids.title} className="card-title">
          Activity over time
        </h2>
        <label htmlFor={ids.by} className="visually-hidden">
          Group the chart by
        </label>
        <select id={ids.by} value={by} onChange={(e) => setBy(e.target.value === 'agent' ? 'agent' : 'connection')}>
          <option value="connection">By connection</option>
          <option value="agent">By agent or skill</option>
        </select>
      </div>
      <p id={ids.desc} className="visually-hidden">
        {summary}
      </p>
      <svg className="chart" width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="group" aria-labelledby={ids.title} aria-describedby={ids.desc} data-rows={rows.length}>
        <line className="chart-axis" x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} />
        <text className="chart-label" x={PAD.left - 4} y={PAD.top + 8} textAnchor="end" aria-hidden="true">
          {peak}
        </text>
        <text className="chart-label" x={PAD.left - 4} y={H - PAD.bottom} textAnchor="end" aria-hidden="true">
          0
        </text>
        {data.buckets.map((b, i) => {
          const x = PAD.left + i * slot + (slot - barW) / 2;
          let top = H - PAD.bottom;
          return (
            // Named by its <title> (also the pointer's tooltip), not aria-label: one text for both.
            <g key={b.start} role="img" className="chart-bar" data-total={b.total}>
              <title>{barLabel(b)}</title>
              {b.counts.map((c, s) => {
                if (!c) return null;
                top -= y(c);
                return <rect key={s} className={`series-${s}`} x={x} y={top} width={barW} height={y(c)} rx={1.5} />;
              })}
              {b.total === 0 && <rect x={x} y={H - PAD.bottom - 1} width={barW} height={1} className="chart-axis" />}
            </g>
          );
        })}
        {ticks.map((i) => (
          <text key={i} className="chart-label" x={PAD.left + i * slot + slot / 2} y={H - 6} textAnchor={i === 0 && ticks.length > 1 ? 'start' : i === data.buckets.length - 1 && ticks.length > 1 ? 'end' : 'middle'} aria-hidden="true">
            {tickFmt.format(data.buckets[i]!.start)}
          </text>
        ))}
      </svg>
      <ul className="chart-legend" aria-label="Series">
        {data.series.map((s, i) => (
          <li key={s}>
            <span className={`chart-swatch series-${i}`} aria-hidden="true" />
            {s}
          </li>
        ))}
      </ul>
    </section>
  );
}
