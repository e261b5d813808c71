import { hash as sha256Once } from 'node:crypto';
import type { Database } from '../db/database';

/** The hash before the first row: 32 zero bytes, as hex like every stored hash. */
export const GENESIS_HASH = '0'.repeat(64);

/** The columns of a row that its hash covers, in the order of the canonical encoding (docs/audit.md). */
export type ChainFields = readonly [
  id: number,
  at: number,
  userId: string,
  connectionId: string | null,
  serviceId: string | null,
  skill: string | null,
  tool: string | null,
  action: string,
  outcome: string,
  detail: string | null,
];

/**
 * SHA-256 (hex) of the UTF-8 of JSON.stringify([prevHash, id, at, user_id, connection_id, service_id,
 * skill, tool, action, outcome, detail]). JSON gives every field an unambiguous boundary (strings are
 * quoted and escaped, null is not "null"), and one string hashed at once is the fastest form here.
 */
export function rowHash(prevHash: string, f: ChainFields): string {
  return sha256Once('sha256', JSON.stringify([prevHash, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]]), 'hex');
}

/** The last row of the chain, read inside the write transaction that appends after it. */
export function chainTail(db: Database): { id: number; hash: string } {
  const row = db.prepare('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1').raw().get() as [number, string | null] | undefined;
  return row ? { id: row[0], hash: row[1] ?? GENESIS_HASH } : { id: 0, hash: GENESIS_HASH };
}

/**
 * Migration step: rows written before the chain existed are chained as they are, in id order, so that
 * from then on any change to them is caught (what they said before the migration is taken on trust).
 */
export function chainExistingRows(db: Database): void {
  const rows = db.prepare('SELECT id, at, user_id, connection_id, service_id, skill, tool, action, outcome, detail FROM audit ORDER BY id').raw().all() as ChainFields[];
  const update = db.prepare('UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?');
  let prev = GENESIS_HASH;
  for (const row of rows) {
    const h = rowHash(prev, row);
    update.run(prev, h, row[0]);
    prev = h;
  }
}

export type ChainBreakKind = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'head_mismatch';

export interface ChainBreak {
  kind: ChainBreakKind;
  /** The first row that is wrong (for deleted and truncated rows: the first one missing). */
  rowId: number;
  message: string;
}

/** Where the chain's head, kept apart from the database, was last seen: compared with the table's end. */
export interface TrustedHead {
  rowId: number;
  hash: string;
}

export interface ChainReport {
  rows: number;
  lastId: number | null;
  lastHash: string;
  break: ChainBreak | null;
}

/** Ids per read of the fast path: one statement run per 1,024 rows (4,096 measured the same, 16,384 twice as slow). */
const CHUNK = 1_024;

/** How far a walk of the chain has got: the last row checked (0 and GENESIS_HASH before the first) and the rows so far. */
export interface ChainPosition {
  id: number;
  hash: string;
  rows: number;
}

export const CHAIN_START: ChainPosition = { id: 0, hash: GENESIS_HASH, rows: 0 };

/**
 * The fast path's reads: SQLite builds each row's encoding (json_array writes JSON as JSON.stringify does
 * for the values Sophon writes) behind its hash, one string per row read a range of ids at a time
 * (`.pluck().all()`: no per-row array, no iterator step; a profile put these above group_concat of the
 * chunk, whose string SQLite grows and JavaScript then splits). `nextId` finds the row after a hole.
 */
function fastReads(db: Database): { lines: (after: number, upTo: number) => (string | null)[]; nextId: (after: number) => number | null } {
  const fast = db
    .prepare('SELECT hash || json_array(prev_hash, id, at, user_id, connection_id, service_id, skill, tool, action, outcome, detail) FROM audit WHERE id > ? AND id <= ? ORDER BY id')
    .pluck();
  const next = db.prepare('SELECT min(id) FROM audit WHERE id > ?').pluck();
  return { lines: (after, upTo) => fast.all(after, upTo) as (string | null)[], nextId: (after) => next.get(after) as number | null };
}

/** The highest row id (0 for an empty trail): how far the parallel verify splits the ids. */
export function chainMaxId(db: Database): number {
  return (db.prepare('SELECT max(id) FROM audit').pluck().get() as number | null) ?? 0;
}

/**
 * Walks every row in id order from `start` (the beginning, or where the parallel verify's parts left off
 * intact: chain-parts.ts): each must link to the one before it (prev_hash) and hash to its own `hash`.
 * Stops at the first broken link and says what kind it is; then compares the end with `head`.
 */
export function verifyChain(db: Database, head: TrustedHead | null, start: ChainPosition = CHAIN_START): ChainReport {
  // Fast path: a range of ids that checks out from SQLite's encoding (fastReads). A range that does not is
  // walked again value by value (the slow path below, with the encoding in JavaScript), which alone
  // decides whether a link is broken. A deleted row fails the link of the row after it, so holes in the
  // ids need no count.
  const fast = fastReads(db);
  const slow = db.prepare('SELECT id, at, user_id, connection_id, service_id, skill, tool, action, outcome, detail, prev_hash, hash FROM audit WHERE id > ? ORDER BY id LIMIT ?').raw();
  let prevHash = start.hash;
  let prevId = start.id;
  let rows = start.rows;
  for (;;) {
    const lines = fast.lines(prevId, prevId + CHUNK);
    // No row in a whole range: the end, or a hole (rows deleted, an id far ahead) that the slow path walks past.
    if (lines.length === 0 && fast.nextId(prevId) === null) break;
    const last = lines.length === 0 ? null : checkLines(lines, prevHash);
    if (last !== null) {
      prevHash = last.hash;
      prevId = last.id;
      rows += lines.length;
      continue;
    }
    for (const r of slow.iterate(prevId, CHUNK) as IterableIterator<unknown[]>) {
      const id = r[0] as number;
      const storedPrev = r[10] as string | null;
      const stored = r[11] as string | null;
      const computed = rowHash(storedPrev ?? '', r as unknown as ChainFields);
      if (storedPrev !== prevHash || computed !== stored) {
        return { rows, lastId: prevId || null, lastHash: prevHash, break: diagnose(db, prevId, prevHash, id, storedPrev, computed === stored) };
      }
      prevHash = stored;
      prevId = id;
      rows++;
    }
  }
  const report: ChainReport = { rows, lastId: prevId || null, lastHash: prevHash, break: null };
  if (head) report.break = compareHead(db, head, prevId, prevHash);
  return report;
}

/**
 * Lines of `hash` + `["prev_hash",id,…]`: the last row's hash and id when every row links and hashes,
 * else null (a row whose hash is NULL has a NULL line).
 */
function checkLines(lines: readonly (string | null)[], prevHash: string): { hash: string; id: number } | null {
  for (const line of lines) {
    // `hash` is 64 hex characters, then the encoding, which starts with `["` and the previous row's hash.
    if (line === null || line.slice(66, 130) !== prevHash || sha256Once('sha256', line.slice(64), 'hex') !== line.slice(0, 64)) return null;
    prevHash = line.slice(0, 64);
  }
  const last = lines[lines.length - 1]!;
  // After `["<64>",` comes the id, as the hash covered it.
  const id = Number(last.slice(132, last.indexOf(',', 132)));
  return Number.isSafeInteger(id) ? { hash: prevHash, id } : null;
}

/**
 * One part of the chain checked on its own (the parallel verify, chain-parts.ts): `linked` when every row
 * in it hashes right and links to the row before it inside the part, with what its first row links to
 * (the boundary, checked when the parts are joined) and its last row; `suspect` when the fast path did
 * not check out somewhere, which the serial walk then decides.
 */
export type PartCheck =
  | { state: 'empty' }
  | { state: 'linked'; firstPrev: string; lastId: number; lastHash: string; rows: number }
  | { state: 'suspect' };

/** Checks the rows with ids in (after, upTo], read the same way as the serial walk's fast path. */
export function checkPart(db: Database, after: number, upTo: number): PartCheck {
  const fast = fastReads(db);
  let prev: { hash: string; id: number } | null = null;
  let firstPrev = '';
  let rows = 0;
  for (let from = after; from < upTo; ) {
    const to = Math.min(from + CHUNK, upTo);
    const lines = fast.lines(from, to);
    if (lines.length === 0) {
      // A hole (ids far apart, rows deleted): on to the next row if it is still in this part.
      const next = fast.nextId(from);
      if (next === null || next > upTo) break;
      from = next - 1;
      continue;
    }
    if (prev === null) {
      // What the part's first row says came before it: 64 characters after its hash and `["`.
      const first = lines[0];
      if (first === null || first === undefined) return { state: 'suspect' };
      firstPrev = first.slice(66, 130);
    }
    const last = checkLines(lines, prev?.hash ?? firstPrev);
    if (last === null) return { state: 'suspect' };
    prev = last;
    rows += lines.length;
    from = to;
  }
  return prev === null ? { state: 'empty' } : { state: 'linked', firstPrev, lastId: prev.id, lastHash: prev.hash, rows };
}

function diagnose(db: Database, prevId: number, expected: string, id: number, storedPrev: string | null, selfConsistent: boolean): ChainBreak {
  // Only reached when the link or the row's own hash is wrong.
  const after = prevId === 0 ? 'the start of the trail' : `row ${prevId}`;
  if (storedPrev === expected && !selfConsistent) {
    return { kind: 'edited', rowId: id, message: `Row ${id} was changed after it was written: its content no longer matches its hash.` };
  }
  if (id > prevId + 1) {
    return { kind: 'deleted', rowId: prevId + 1, message: `Row(s) ${range(prevId + 1, id - 1)} were deleted: row ${id} links to a row that is no longer after ${after}.` };
  }
  // A genuine row out of place links to a row that is still in the table; a forged one links to nothing.
  const linked = storedPrev === null ? undefined : (db.prepare('SELECT id FROM audit WHERE hash = ? LIMIT 1').pluck().get(storedPrev) as number | undefined);
  if (linked !== undefined) {
    return { kind: 'reordered', rowId: id, message: `Row ${id} is out of order: it was written after row ${linked}, not after ${after}.` };
  }
  return { kind: 'inserted', rowId: id, message: `Row ${id} was inserted by hand: it links to no row of the trail (expected a link to ${after}).` };
}

function compareHead(db: Database, head: TrustedHead, lastId: number, lastHash: string): ChainBreak | null {
  if (head.rowId > lastId) {
    return {
      kind: 'truncated',
      rowId: lastId + 1,
      message: `The trail ends at ${lastId === 0 ? 'no row' : `row ${lastId}`}, but its head kept outside the database names row ${head.rowId}: row(s) ${range(lastId + 1, head.rowId)} were removed.`,
    };
  }
  const at = head.rowId === lastId ? lastHash : head.rowId === 0 ? GENESIS_HASH : (db.prepare('SELECT hash FROM audit WHERE id = ?').pluck().get(head.rowId) as string | undefined);
  if (at !== head.hash) {
    return { kind: 'head_mismatch', rowId: head.rowId, message: `Row ${head.rowId} is not the row the head kept outside the database names: the trail was rewritten from there on.` };
  }
  return null;
}

function range(from: number, to: number): string {
  return from === to ? String(from) : `${from}-${to}`;
}
