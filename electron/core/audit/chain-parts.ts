import type { ChainPosition, PartCheck } from './chain-store';

/** The ids (after, upTo] of one part of the parallel verify. */
export interface PartRange {
  after: number;
  upTo: number;
}

/**
 * Splits ids 1..maxId into parts of `partIds` ids, or wider when that would make more than `maxParts`
 * (a row far ahead, e.g. forged with a huge id, must not make billions of parts; a part walks past holes).
 */
export function splitIds(maxId: number, partIds: number, maxParts: number): PartRange[] {
  if (maxId <= 0) return [];
  const size = Math.max(partIds, Math.ceil(maxId / maxParts));
  const parts: PartRange[] = [];
  for (let after = 0; after < maxId; after += size) parts.push({ after, upTo: Math.min(after + size, maxId) });
  return parts;
}

export interface JoinedParts {
  /** Where the serial walk takes over: after the last part that is intact and linked to the one before it. */
  position: ChainPosition;
  /** The index of the first part that is not (suspect, unlinked at its start, or never checked); null when all are. */
  stoppedAt: number | null;
}

/**
 * Joins checked parts in id order from `start`: each part's first row must link to the last row of the
 * parts before it (an empty part, a hole in the ids, links nothing). Stops at the first part that does
 * not join; everything before it is exactly what the serial walk would have accepted up to there.
 */
export function joinParts(parts: readonly (PartCheck | undefined)[], start: ChainPosition): JoinedParts {
  let position = start;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part?.state === 'empty') continue;
    if (part?.state !== 'linked' || part.firstPrev !== position.hash) return { position, stoppedAt: i };
    position = { id: part.lastId, hash: part.lastHash, rows: position.rows + part.rows };
  }
  return { position, stoppedAt: null };
}
