/** A moment as people read it on this machine: local time, to the minute ("2026-11-03 14:05"); "-" for none. */
export function when(iso: string | number | null | undefined, seconds = false): string {
  if (iso === null || iso === undefined) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  const time = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  return seconds ? `${time}:${p(d.getSeconds())}` : time;
}
