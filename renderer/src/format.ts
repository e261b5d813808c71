// Intl formatters are made on first use: building one loads locale data, and the boot chunk (which
// imports this) should start its calls before paying for that.
let rtf: Intl.RelativeTimeFormat | undefined;
let dtf: Intl.DateTimeFormat | undefined;
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "3 minutes ago", "in 2 days", "just now"; "never" for null. */
export function relative(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const diff = t - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return (rtf ??= new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })).format(Math.round(diff / ms), unit);
  }
  return 'just now';
}

export function absolute(iso: string | null): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : (dtf ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })).format(t);
}
