/**
 * The queue of questions a dialog asks one at a time (which connection, approve a write) after hearing of one:
 * an open question joins once, a closed one (answered elsewhere, timed out, abandoned) leaves.
 */
export function mergedQuestion<Q extends { phase: string; request: string }>(queue: Q[], p: Q): Q[] {
  if (p.phase !== 'open') return queue.filter((q) => q.request !== p.request);
  return queue.some((q) => q.request === p.request) ? queue : [...queue, p];
}
