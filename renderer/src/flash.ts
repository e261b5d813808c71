/** A one-shot message handed from one screen to the next (e.g. "Connected" after an add). Never a secret. */
export interface Flash {
  kind: 'ok' | 'warn';
  text: string;
}
let pending: Flash | null = null;
export function setFlash(f: Flash): void {
  pending = f;
}
export function takeFlash(): Flash | null {
  const f = pending;
  pending = null;
  return f;
}
